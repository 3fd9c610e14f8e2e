-- Pre-annotations. An item may carry a model's regions (`predictions`: a JSON list of
-- annoqa-core regions, NULL when it has none) that an annotator's draft starts from; a
-- submission records what the annotator did with them (`prediction_outcome`: a JSON
-- `PredictionOutcome` of prediction ids kept, edited and deleted, NULL when the item had no
-- predictions or the client did not say). Items and submissions from before have neither.
ALTER TABLE items ADD COLUMN predictions TEXT;
ALTER TABLE submissions ADD COLUMN prediction_outcome TEXT;
