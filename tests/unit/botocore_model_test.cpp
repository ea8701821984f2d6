// Tests for botocore_model: being written.
