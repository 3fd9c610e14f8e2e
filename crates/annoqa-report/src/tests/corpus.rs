//! The real Label Studio export `ls-evalme/evalme/tests/test_data/test_bbox.json` (5 tasks, 3
//! annotators, rectangles): the report's box agreement against an independent computation.
