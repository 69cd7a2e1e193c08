-- perf-import: a batch import of a CSV file remembers where its next batch starts
ALTER TABLE fraud.jobs ADD COLUMN input_offset bigint, ADD COLUMN input_line bigint;
COMMENT ON COLUMN fraud.batch_import_errors.row_number IS 'Data row of the input, from 1 (in a CSV file, the record after the header, a broken record counting as one: the line number minus one unless a quoted field spans lines).';
COMMENT ON COLUMN fraud.jobs.input_offset IS 'Batch import of a CSV file: the byte offset in the file where the next batch starts (with next_position, the data rows read so far).';
COMMENT ON COLUMN fraud.jobs.input_line IS 'Batch import of a CSV file: the line number (the header is line 1) where the next batch starts.';
-- the same rule as '^[0-9a-z_-]{1,64}$', checked about 1 s faster per 300,000 inserted events
ALTER TABLE fraud.events DROP CONSTRAINT event_id_pattern,
    ADD CONSTRAINT event_id_pattern CHECK (event_id ~ '^[0-9a-z_-]+$' AND length(event_id) <= 64);
