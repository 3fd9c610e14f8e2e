//! Tests of the crowdkit reader and writer.
