// Tests for hazards: being written.
