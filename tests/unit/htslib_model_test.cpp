// Tests for htslib_model: being written.
