//! Tests of the ls reader and writer.
