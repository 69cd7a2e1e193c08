-- Batch import of a CSV file read record by record: a structurally broken record (wrong
-- number of fields, bad quoting) fails alone with its line number while every other record is
-- imported; a role without the privileges of pg_read_server_files gets 42501 for a file input.
\i helpers.sql
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.wait_job(id text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOR i IN 1..2400 LOOP
        SELECT status INTO s FROM fraud_get_batch_import_jobs(id);
        EXIT WHEN s NOT IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS', 'CANCEL_IN_PROGRESS');
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN s;
END $$;

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', 'none');
SELECT fraud_create_variable('ip_address', 'STRING', 'EVENT', '0.0.0.0');
SELECT fraud_create_variable('order_price', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_label('fraud');
SELECT fraud_put_event_type('registration', ARRAY['email_address', 'ip_address', 'order_price'],
                            ARRAY['customer'], labels => ARRAY['fraud']);

-- the file, line by line (FORMAT text writes each line as it is)
CREATE TEMP TABLE lines (n int, line text);
INSERT INTO lines VALUES
  (1,  'EVENT_ID,EVENT_TIMESTAMP,ENTITY_ID,ENTITY_TYPE,EVENT_LABEL,LABEL_TIMESTAMP,email_address,ip_address,order_price'),
  (2,  'brk1,2024-03-01T00:00:00Z,cust1,customer,,,a@b.c,10.0.0.1,12.5'),
  (3,  'brk2,2024-03-01T00:00:00Z,cust1,customer,,,a@b.c,10.0.0.1'),                 -- 8 fields
  (4,  'brk3,2024-03-01T00:00:00Z,cust1,customer,fraud,2024-03-02T00:00:00Z,"x,y@b.c",10.0.0.1,1'),
  (5,  'brk4,"2024-03-01T00:00:00Z"x,cust1,customer,,,a@b.c,10.0.0.1,1'),            -- text after a closing quote
  (6,  'brk5,2024-03-01T00:00:00Z,cust1,customer,,,a@b.c,10.0.0.1,5'),
  (7,  'brk6,2024-03-01T00:00:00Z,cust1,customer,,,a@b.c,10.0.0.1,6,extra'),         -- 10 fields
  (8,  'brk7,2024-03-01T00:00:00Z,cust1,customer,,,"two'),                             -- a quoted field over two lines
  (9,  'lines",10.0.0.1,7'),
  (10, 'brk8,2024-03-01T00:00:00Z,cust1,customer,,,"never closed,10.0.0.1,8'),       -- closed by line 12's quote, wrongly
  (11, 'brk9,2024-03-01T00:00:00Z,cust1,customer,,,a@b.c,10.0.0.1,9'),
  (12, 'brk10,2024-03-01T00:00:00Z,cust1,customer,,,a"b,10.0.0.1,10'),               -- a quote in an unquoted field
  (13, 'brk11,2024-03-01T00:00:00Z,cust1,customer,,,a@b.c,10.0.0.1,twelve'),          -- a bad value, checked as before
  (14, 'brk12,2024-03-01T00:00:00Z,cust1,customer,,,a@b.c,10.0.0.1,12');
COPY (SELECT line FROM lines ORDER BY n) TO '/tmp/fraud_detector_regress_broken.csv' WITH (FORMAT text);

SELECT fraud_create_batch_import_job('broken_csv', '/tmp/fraud_detector_regress_broken.csv', 'registration');
SELECT pg_temp.wait_job('broken_csv');
SELECT status, failure_reason, processed_records_count, failed_records_count, total_records_count
FROM fraud_get_batch_import_jobs('broken_csv');
-- row_number counts the records after the header (lines 8-9 are one record); the reason of a
-- broken record names its line
SELECT * FROM fraud_get_batch_import_job_errors('broken_csv');
SELECT event_id, event_variables, event_label FROM fraud.events ORDER BY event_id COLLATE "C";

-- a batch of 2: the job resumes from the byte offset and line it stored after each batch
DELETE FROM fraud.events;
BEGIN;
SELECT fraud_create_batch_import_job('small_batches', '/tmp/fraud_detector_regress_broken.csv', 'registration');
UPDATE fraud.jobs SET batch_size = 2 WHERE job_id = 'small_batches';
COMMIT;
SELECT pg_temp.wait_job('small_batches');
SELECT processed_records_count, failed_records_count, total_records_count FROM fraud_get_batch_import_jobs('small_batches');
SELECT (SELECT array_agg(row_number || ': ' || reason ORDER BY row_number) FROM fraud_get_batch_import_job_errors('small_batches'))
     = (SELECT array_agg(row_number || ': ' || reason ORDER BY row_number) FROM fraud_get_batch_import_job_errors('broken_csv'))
       AS same_failures,
       (SELECT count(*) FROM fraud.events) AS stored;

-- a header-only file completes with nothing to import; a file without a header is refused
COPY (SELECT line FROM lines WHERE n = 1) TO '/tmp/fraud_detector_regress_empty.csv' WITH (FORMAT text);
SELECT fraud_create_batch_import_job('header_only', '/tmp/fraud_detector_regress_empty.csv', 'registration');
SELECT pg_temp.wait_job('header_only');
SELECT processed_records_count, failed_records_count, total_records_count FROM fraud_get_batch_import_jobs('header_only');
COPY (SELECT '"EVENT_ID,x') TO '/tmp/fraud_detector_regress_noheader.csv' WITH (FORMAT text);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('no_header', '/tmp/fraud_detector_regress_noheader.csv', 'registration')$$);

-- reading a server-side file needs the privileges of pg_read_server_files, as COPY does
SET client_min_messages = warning;
DROP ROLE IF EXISTS fd_importer, fd_file_importer;
RESET client_min_messages;
CREATE ROLE fd_importer;
CREATE ROLE fd_file_importer IN ROLE pg_read_server_files;
SELECT fraud_grant('jobs', 'fd_importer');
SELECT fraud_grant('jobs', 'fd_file_importer');
SET ROLE fd_importer;
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('no_right', '/tmp/fraud_detector_regress_broken.csv', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('no_right', '/no/such/file.csv', 'registration')$$);
RESET ROLE;
DELETE FROM fraud.events;
SET ROLE fd_file_importer;
SELECT fraud_create_batch_import_job('with_right', '/tmp/fraud_detector_regress_broken.csv', 'registration');
RESET ROLE;
SELECT pg_temp.wait_job('with_right');
SELECT status, processed_records_count, failed_records_count FROM fraud_get_batch_import_jobs('with_right');
-- the right is checked again when the job runs: a job whose creator lost it fails
DELETE FROM fraud.events;
BEGIN;
SET LOCAL ROLE fd_file_importer;
SELECT fraud_create_batch_import_job('lost_right', '/tmp/fraud_detector_regress_broken.csv', 'registration');
RESET ROLE;
REVOKE pg_read_server_files FROM fd_file_importer;
COMMIT;
SELECT pg_temp.wait_job('lost_right');
SELECT status, failure_reason, processed_records_count FROM fraud_get_batch_import_jobs('lost_right');
SELECT count(*) AS stored FROM fraud.events;

SELECT fraud_revoke('jobs', 'fd_importer');
SELECT fraud_revoke('jobs', 'fd_file_importer');
DROP ROLE fd_importer, fd_file_importer;
