-- Voice ID catalog: domains, watchlists, fraudsters, speakers and their refusals. Generated ids
-- are random, so they are captured with \gset and only their shape is shown.
\i helpers.sql
SET timezone = 'UTC';

-- err() with generated ids masked, for messages that name one
CREATE FUNCTION pg_temp.masked(stmt text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(pg_temp.err(stmt), '(id#)?[a-zA-Z0-9]{22}', '<id>', 'g') $$;

-- domains: created with the embedding dimension and a default watchlist
SELECT domain_id ~ '^[a-zA-Z0-9]{22}$' AS id_ok, name, description, domain_status, embedding_dimension, cos_at_50, cos_at_90,
       authentication_min_speech_seconds, watchlist_details->>'DefaultWatchlistId' ~ '^[a-zA-Z0-9]{22}$' AS default_ok,
       arn = 'arn:fraud:regression:voice-domain/' || domain_id AS arn_ok
FROM fraud_voice_create_domain('contact-centre', 64, 'retail banking', tags => '{"team": "fraud"}');
SELECT domain_id AS d, watchlist_details->>'DefaultWatchlistId' AS dw FROM fraud_voice_list_domains() \gset
SELECT name, default_watchlist, description FROM fraud_voice_list_watchlists(:'d');
SELECT name, embedding_dimension FROM fraud_voice_describe_domain(:'d');
SELECT * FROM fraud_list_tags_for_resource('arn:fraud:regression:voice-domain/' || :'d');
SELECT fraud_tag_resource('arn:fraud:regression:voice-domain/' || :'d', '{"region": "eu"}');
SELECT fraud_untag_resource('arn:fraud:regression:voice-domain/' || :'d', ARRAY['team']);
SELECT * FROM fraud_list_tags_for_resource('arn:fraud:regression:voice-domain/' || :'d');
SELECT name, description, cos_at_50, cos_at_90, authentication_min_speech_seconds, updated_at >= created_at AS touched
FROM fraud_voice_update_domain(:'d', 'contact-centre-eu', cos_at_50 => 0.3, authentication_min_speech_seconds => 8);
SELECT count(*) FROM fraud_voice_create_domain('second', 16);
SELECT count(*) AS domains FROM fraud_voice_list_domains();

-- watchlists
SELECT watchlist_id AS w, name, description, default_watchlist FROM fraud_voice_create_watchlist(:'d', 'vip-fraud', 'high value') \gset
SELECT :'w' ~ '^[a-zA-Z0-9]{22}$' AS id_ok, :'name', :'description', :'default_watchlist';
SELECT name, description FROM fraud_voice_update_watchlist(:'d', :'w', name => 'vip_fraud');
SELECT name, description FROM fraud_voice_describe_watchlist(:'d', :'w');
SELECT name, default_watchlist FROM fraud_voice_list_watchlists(:'d');
-- an empty, non-default watchlist can be deleted
SELECT count(*) FROM fraud_voice_create_watchlist(:'d', 'short-lived');
SELECT watchlist_id AS tmpw FROM fraud_voice_list_watchlists(:'d') WHERE name = 'short-lived' \gset
SELECT fraud_voice_delete_watchlist(:'d', :'tmpw');
SELECT name FROM fraud_voice_list_watchlists(:'d');

-- fraudsters arrive through a registration job (SKIP duplicates, threshold 80, into 'vip_fraud')
CREATE TABLE fraud_requests AS
SELECT 'req' || k AS request_id, pg_temp.voice(k, 1, 0.3, 64) AS embedding, 12::real AS speech_seconds FROM generate_series(1, 4) k;
INSERT INTO fraud_requests VALUES ('req1again', pg_temp.voice(1, 2, 0.3, 64), 12), ('short', pg_temp.voice(9, 0, 0, 64), 3),
                                  ('bad-size', ARRAY[1, 2]::real[], 12), ('zero', array_fill(0::real, ARRAY[64]), 12);
SELECT job_id AS j, job_status, input_data_config, registration_config->'WatchlistIds'->>0 = :'w' AS target_ok,
       registration_config - 'WatchlistIds' AS registration_config
FROM fraud_voice_start_fraudster_registration_job(:'d', '{"S3Uri": "SELECT * FROM fraud_requests ORDER BY request_id"}', 'first-batch',
    jsonb_build_object('WatchlistIds', jsonb_build_array(:'w'))) \gset
SELECT :'job_status', :'input_data_config', :'target_ok', :'registration_config';
SELECT pg_temp.wait_voice_job(:'j');
SELECT job_name, job_status, job_progress, failure_details, processed_records_count, failed_records_count, total_records_count
FROM fraud_voice_describe_fraudster_registration_job(:'d', :'j');
SELECT row_number, request_id, result - 'GeneratedFraudsterId' AS result, result ? 'GeneratedFraudsterId' AS has_id
FROM fraud_voice_get_job_results(:'d', :'j');
-- the repeat was matched to req1's new fraudster
SELECT (SELECT result->>'GeneratedFraudsterId' FROM fraud_voice_get_job_results(:'d', :'j') WHERE request_id = 'req1')
     = (SELECT result->>'GeneratedFraudsterId' FROM fraud_voice_get_job_results(:'d', :'j') WHERE request_id = 'req1again') AS same_fraudster;
SELECT count(*) AS fraudsters, bool_and(watchlist_ids = ARRAY[:'w']) AS in_target FROM fraud_voice_list_fraudsters(:'d');
SELECT job_status, count(*) FROM fraud_voice_list_fraudster_registration_jobs(:'d') GROUP BY 1;
SELECT count(*) FROM fraud_voice_list_fraudster_registration_jobs(:'d', 'FAILED');
SELECT result->>'GeneratedFraudsterId' AS f FROM fraud_voice_get_job_results(:'d', :'j') WHERE request_id = 'req2' \gset
SELECT generated_fraudster_id = :'f' AS id_ok, watchlist_ids = ARRAY[:'w'] AS watchlists_ok FROM fraud_voice_describe_fraudster(:'d', :'f');
-- associate with the default watchlist too, then leave vip_fraud
SELECT cardinality(watchlist_ids) FROM fraud_voice_associate_fraudster(:'d', :'f', :'dw');
SELECT watchlist_ids = ARRAY[:'dw'] AS only_default FROM fraud_voice_disassociate_fraudster(:'d', :'f', :'w');
SELECT count(*) AS in_default FROM fraud_voice_list_fraudsters(:'d', :'dw');
SELECT count(*) AS in_vip FROM fraud_voice_list_fraudsters(:'d', :'w');

-- speakers arrive through an enrolment job (30 s of speech; SKIP existing)
CREATE TABLE enrolments AS
SELECT 'cust' || k AS request_id, pg_temp.voice(100 + k, 1, 0.3, 64) AS embedding, 40::real AS speech_seconds FROM generate_series(1, 3) k;
INSERT INTO enrolments VALUES ('brief', pg_temp.voice(200, 0, 0, 64), 20);
-- no enrollment_config: the fraud check's defaults are filled in (FAIL, 50, the default watchlist)
SELECT job_id AS e, job_status, enrollment_config #- '{FraudDetectionConfig,WatchlistIds}' AS enrollment_config,
       enrollment_config->'FraudDetectionConfig'->'WatchlistIds' = jsonb_build_array(:'dw') AS default_watchlist
FROM fraud_voice_start_speaker_enrollment_job(:'d', '{"S3Uri": "enrolments"}') \gset
SELECT :'job_status', :'enrollment_config', :'default_watchlist';
SELECT pg_temp.wait_voice_job(:'e');
SELECT request_id, result - 'GeneratedSpeakerId' AS result FROM fraud_voice_get_job_results(:'d', :'e');
SELECT customer_speaker_id, status, generated_speaker_id ~ '^id#[a-zA-Z0-9]{22}$' AS id_ok FROM fraud_voice_list_speakers(:'d');
SELECT job_status, processed_records_count, failed_records_count, enrollment_config #- '{FraudDetectionConfig,WatchlistIds}' AS enrollment_config
FROM fraud_voice_list_speaker_enrollment_jobs(:'d');
SELECT count(*) FROM fraud_voice_list_speaker_enrollment_jobs(:'d', 'COMPLETED');
SELECT job_status, job_progress FROM fraud_voice_describe_speaker_enrollment_job(:'d', :'e');
SELECT customer_speaker_id, status FROM fraud_voice_describe_speaker(:'d', 'cust1');
SELECT generated_speaker_id AS s1 FROM fraud_voice_describe_speaker(:'d', 'cust1') \gset
SELECT customer_speaker_id FROM fraud_voice_describe_speaker(:'d', :'s1');
SELECT customer_speaker_id, status FROM fraud_voice_opt_out_speaker(:'d', 'cust3');
SELECT customer_speaker_id, status FROM fraud_voice_opt_out_speaker(:'d', 'never-seen');
SELECT embedding IS NULL AS voiceprint_removed FROM fraud.voice_speakers WHERE customer_speaker_id = 'cust3';
SELECT fraud_voice_delete_speaker(:'d', 'never-seen');
SELECT fraud_voice_delete_speaker(:'d', 'never-seen');
SELECT customer_speaker_id, status FROM fraud_voice_list_speakers(:'d');

-- the enrolment fraud check runs without FraudDetectionConfig too: a registered fraudster's
-- exact voiceprint (req2's, in the default watchlist) is refused with '{}'; req1's is enrolled,
-- since req1 is only in vip_fraud and the check looks at the default watchlist
CREATE TABLE impostors AS SELECT 'impostor' AS request_id, pg_temp.voice(2, 1, 0.3, 64) AS embedding, 40::real AS speech_seconds
UNION ALL SELECT 'vip-impostor', pg_temp.voice(1, 1, 0.3, 64), 40;
SELECT job_id AS e2 FROM fraud_voice_start_speaker_enrollment_job(:'d', '{"S3Uri": "SELECT * FROM impostors ORDER BY request_id"}',
    enrollment_config => '{}') \gset
SELECT pg_temp.wait_voice_job(:'e2');
SELECT request_id, regexp_replace(result::text, 'id#[a-zA-Z0-9]{22}', 'id#...', 'g') AS result FROM fraud_voice_get_job_results(:'d', :'e2');
SELECT customer_speaker_id, status FROM fraud_voice_list_speakers(:'d') WHERE customer_speaker_id LIKE '%impostor';
-- FraudDetectionAction IGNORE turns the check's effect off: the fraudster's voice is enrolled
SELECT job_id AS e3, enrollment_config->'FraudDetectionConfig'->>'FraudDetectionAction' AS action
FROM fraud_voice_start_speaker_enrollment_job(:'d', '{"S3Uri": "SELECT * FROM impostors WHERE request_id = ''impostor''"}',
    enrollment_config => '{"FraudDetectionConfig": {"FraudDetectionAction": "IGNORE"}}') \gset
SELECT :'action', pg_temp.wait_voice_job(:'e3');
SELECT request_id, result->>'EnrollmentStatus' AS status, result ? 'ErrorCode' AS failed FROM fraud_voice_get_job_results(:'d', :'e3');
SELECT customer_speaker_id, status FROM fraud_voice_describe_speaker(:'d', 'impostor');

-- refusals
SELECT pg_temp.err($$SELECT * FROM fraud_voice_create_domain('bad name', 8)$$);
SELECT pg_temp.err($$SELECT * FROM fraud_voice_create_domain('ok', 0)$$);
SELECT pg_temp.err($$SELECT * FROM fraud_voice_create_domain('ok', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM fraud_voice_create_domain('ok', 8, cos_at_50 => 0.7, cos_at_90 => 0.6)$$);
SELECT pg_temp.err($$SELECT * FROM fraud_voice_create_domain('ok', 8, authentication_min_speech_seconds => 4)$$);
SELECT pg_temp.err($$SELECT * FROM fraud_voice_create_domain('ok', 8, description => 'semi;colon')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_voice_describe_domain('short')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_voice_describe_domain('AAAAAAAAAAAAAAAAAAAAAA')$$);
SELECT pg_temp.err($$SELECT fraud_voice_delete_domain('AAAAAAAAAAAAAAAAAAAAAA')$$);
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_create_watchlist(%L, 'vip_fraud')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_create_watchlist(%L, '-x')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_update_watchlist(%L, %L, 'renamed')$$, :'d', :'dw'));
SELECT pg_temp.masked(format($$SELECT fraud_voice_delete_watchlist(%L, %L)$$, :'d', :'dw'));
SELECT pg_temp.masked(format($$SELECT fraud_voice_delete_watchlist(%L, %L)$$, :'d', :'w'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_describe_watchlist(%L, 'BBBBBBBBBBBBBBBBBBBBBB')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_disassociate_fraudster(%L, %L, %L)$$, :'d', :'f', :'dw'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_disassociate_fraudster(%L, %L, %L)$$, :'d', :'f', :'w'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_describe_fraudster(%L, 'id#CCCCCCCCCCCCCCCCCCCCCC')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_describe_fraudster(%L, 'fraudster-1')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_describe_speaker(%L, 'nobody')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_describe_speaker(%L, 'bad id!')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_opt_out_speaker(%L, 'id#DDDDDDDDDDDDDDDDDDDDDD')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "no_such_table"}')$$, :'d'));
-- input errors name the parameter the Voice ID functions have, input_data_config
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_speaker_enrollment_job(%L, '{"S3Uri": "no_such_table"}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_speaker_enrollment_job(%L, '{"S3Uri": "SELECT nonsense FROM nowhere"}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_speaker_enrollment_job(%L, '{"S3Uri": " "}')$$, :'d'));
CREATE TEMP TABLE temp_requests AS SELECT * FROM fraud_requests;
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "temp_requests"}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "SELECT 1 AS request_id"}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '"fraud_requests"')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "/no/such/manifest.json"}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "fraud_requests"}', registration_config => '{"DuplicateRegistrationAction": "MERGE"}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "fraud_requests"}', registration_config => '{"FraudsterSimilarityThreshold": 101}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "fraud_requests"}', registration_config => '{"WatchlistIds": []}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "fraud_requests"}', registration_config => '{"WatchlistIds": ["EEEEEEEEEEEEEEEEEEEEEE"]}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_fraudster_registration_job(%L, '{"S3Uri": "fraud_requests"}', registration_config => '{"Colour": 1}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_speaker_enrollment_job(%L, '{"S3Uri": "enrolments"}', enrollment_config => '{"ExistingEnrollmentAction": "REPLACE"}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_start_speaker_enrollment_job(%L, '{"S3Uri": "enrolments"}', enrollment_config => '{"FraudDetectionConfig": {"FraudDetectionAction": "WARN"}}')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_describe_fraudster_registration_job(%L, 'FFFFFFFFFFFFFFFFFFFFFF')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_list_fraudster_registration_jobs(%L, 'DONE')$$, :'d'));
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_get_job_results(%L, 'FFFFFFFFFFFFFFFFFFFFFF')$$, :'d'));
SELECT count(*) AS jobs_after_refusals FROM fraud.jobs;

-- DeleteFraudster, DeleteDomain (everything in it goes)
SELECT fraud_voice_delete_fraudster(:'d', :'f');
SELECT pg_temp.masked(format($$SELECT * FROM fraud_voice_describe_fraudster(%L, %L)$$, :'d', :'f'));
SELECT fraud_voice_delete_domain(:'d');
SELECT (SELECT count(*) FROM fraud.voice_watchlists WHERE domain_id = :'d') + (SELECT count(*) FROM fraud.voice_fraudsters WHERE domain_id = :'d')
     + (SELECT count(*) FROM fraud.voice_speakers WHERE domain_id = :'d') + (SELECT count(*) FROM fraud.jobs WHERE domain_id = :'d')
     + (SELECT count(*) FROM fraud.tags WHERE resource_id = :'d') AS rows_left;
SELECT count(*) AS domains FROM fraud_voice_list_domains();
DROP TABLE fraud_requests, enrolments, impostors, temp_requests;
