-- An item is full once it holds `overlap` kept submissions (gold items never are). The next-item
-- queue then walks only open items, so its cost follows the items still in play rather than
-- every item ever finished. Kept true by the store after every change of an assignment's state.
ALTER TABLE items ADD COLUMN is_full BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE items SET is_full = (
    NOT is_gold
    AND (SELECT COUNT(*) FROM assignments a
         WHERE a.project_id = items.project_id AND a.item_id = items.id AND a.state = 'submitted')
        >= (SELECT p.overlap FROM projects p WHERE p.id = items.project_id)
);

DROP INDEX items_of_kind_in_order;
CREATE INDEX open_items_in_order ON items (project_id, is_full, position, id);
CREATE INDEX open_items_of_kind_in_order ON items (project_id, is_gold, is_full, position, id);
