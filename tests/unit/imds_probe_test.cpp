// Tests for imds_probe: being written.
