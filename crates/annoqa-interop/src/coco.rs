//! COCO instances and person keypoints JSON to and from records.
