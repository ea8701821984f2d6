// Tests for s3cmd_model: being written.
