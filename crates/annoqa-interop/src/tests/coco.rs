//! Tests of the coco reader and writer.
