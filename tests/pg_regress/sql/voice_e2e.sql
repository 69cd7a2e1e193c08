-- Voice ID end to end with synthetic 192-dimension voiceprints: several speakers, each heard
-- in noisy repeats (the same speaker, a different recording). Enrol callers, authenticate the
-- right one (ACCEPT) and refuse another (REJECT), register fraudsters with one duplicate
-- skipped, and catch a call from a registered fraudster (HIGH_RISK, KNOWN_FRAUDSTER, that
-- fraudster's id). Also: the speech minimums, every AuthenticationResult decision, voice
-- spoofing, cached result ids, enrolments refused by their fraud check (configured, and by
-- default) and one enrolled anyway (IGNORE), Check Voice ID.
\i helpers.sql

SELECT domain_id AS d, watchlist_details->>'DefaultWatchlistId' AS dw FROM fraud_voice_create_domain('bank', 192) \gset

-- enrol customers 1..4 from one recording each
CREATE TABLE enrol AS SELECT 'customer' || k AS request_id, pg_temp.voice(k, 1) AS embedding, 45::real AS speech_seconds
FROM generate_series(1, 4) k;
SELECT job_id AS enrol_job FROM fraud_voice_start_speaker_enrollment_job(:'d', '{"S3Uri": "enrol"}') \gset
SELECT pg_temp.wait_voice_job(:'enrol_job');

-- register fraudsters 101..103 from one recording each, plus a second recording of 101
CREATE TABLE fraudsters AS
SELECT 'fraud' || k AS request_id, pg_temp.voice(k, 1) AS embedding, 20::real AS speech_seconds FROM generate_series(101, 103) k
UNION ALL SELECT 'fraud101-second-call', pg_temp.voice(101, 2), 20;
SELECT job_id AS reg_job FROM fraud_voice_start_fraudster_registration_job(:'d', '{"S3Uri": "SELECT * FROM fraudsters ORDER BY request_id"}') \gset
SELECT pg_temp.wait_voice_job(:'reg_job');
SELECT request_id, result->>'RegistrationStatus' AS status, (result->>'FraudsterSimilarityScore')::int >= 80 AS similar,
       result->'FraudsterSimilarityScore' = 'null' AS nothing_to_compare
FROM fraud_voice_get_job_results(:'d', :'reg_job');
SELECT result->>'GeneratedFraudsterId' AS fraud101 FROM fraud_voice_get_job_results(:'d', :'reg_job') WHERE request_id = 'fraud101' \gset
SELECT count(*) AS fraudsters FROM fraud_voice_list_fraudsters(:'d');

-- customer 2 calls (a new recording) and claims to be customer 2: ACCEPT
SELECT fraud_voice_evaluate_session(:'d', 'call-1', pg_temp.voice(2, 3), 14, speaker_id => 'customer2') AS r1 \gset
SELECT :'r1'::jsonb->'AuthenticationResult'->>'Decision' AS decision,
       (:'r1'::jsonb->'AuthenticationResult'->>'Score')::int >= 90 AS score_at_least_90,
       :'r1'::jsonb->'AuthenticationResult'->>'CustomerSpeakerId' AS speaker,
       :'r1'::jsonb->'FraudDetectionResult'->>'Decision' AS fraud,
       (:'r1'::jsonb->'FraudDetectionResult'->'RiskDetails'->'KnownFraudsterRisk'->>'RiskScore')::int < 50 AS low_known_risk,
       :'r1'::jsonb->>'SessionName' AS session, :'r1'::jsonb->>'SessionId' ~ '^id#[a-zA-Z0-9]{22}$' AS session_id_ok;
-- customer 3 claims to be customer 2: REJECT
SELECT r->'AuthenticationResult'->>'Decision' AS decision, (r->'AuthenticationResult'->>'Score')::int < 50 AS low_score
FROM fraud_voice_evaluate_session(:'d', 'call-2', pg_temp.voice(3, 3), 14, speaker_id => 'customer2') r;
-- fraudster 101 calls again (a third recording) pretending to be customer 1
SELECT fraud_voice_evaluate_session(:'d', 'call-3', pg_temp.voice(101, 3), 20, speaker_id => 'customer1') AS r3 \gset
SELECT :'r3'::jsonb->'AuthenticationResult'->>'Decision' AS authentication,
       :'r3'::jsonb->'FraudDetectionResult'->>'Decision' AS fraud,
       :'r3'::jsonb->'FraudDetectionResult'->'Reasons' AS reasons,
       :'r3'::jsonb->'FraudDetectionResult'->'RiskDetails'->'KnownFraudsterRisk'->>'GeneratedFraudsterId' = :'fraud101' AS that_fraudster,
       (:'r3'::jsonb->'FraudDetectionResult'->'RiskDetails'->'KnownFraudsterRisk'->>'RiskScore')::int >= 50 AS high_known_risk,
       :'r3'::jsonb->'FraudDetectionResult'->'Configuration'->>'WatchlistId' = :'dw' AS default_watchlist;
SELECT o, fraud_check_voice_id(:'r3'::jsonb, o) FROM unnest(ARRAY['enrollmentStatus', 'voiceAuthentication', 'fraudDetection']) o;
SELECT o, fraud_check_voice_id(:'r1'::jsonb, o) FROM unnest(ARRAY['enrollmentStatus', 'voiceAuthentication', 'fraudDetection']) o;

-- Voice ID's cache rule: the same inputs give the same result ids; new inputs give new ones
SELECT fraud_voice_evaluate_session(:'d', 'call-3', pg_temp.voice(101, 3), 20, speaker_id => 'customer1') AS r3b \gset
SELECT :'r3'::jsonb->'FraudDetectionResult'->>'FraudDetectionResultId' = :'r3b'::jsonb->'FraudDetectionResult'->>'FraudDetectionResultId' AS same_fraud_id,
       :'r3'::jsonb->'AuthenticationResult'->>'AuthenticationResultId' = :'r3b'::jsonb->'AuthenticationResult'->>'AuthenticationResultId' AS same_auth_id,
       :'r3'::jsonb = :'r3b'::jsonb AS same_result;
SELECT (r->'FraudDetectionResult'->>'FraudDetectionResultId') <> (:'r3'::jsonb->'FraudDetectionResult'->>'FraudDetectionResultId') AS new_id
FROM fraud_voice_evaluate_session(:'d', 'call-3', pg_temp.voice(101, 3), 20, speaker_id => 'customer1', fraud_risk_threshold => 95) r;
-- by session id
SELECT r->>'SessionName' FROM fraud_voice_evaluate_session(:'d', :'r1'::jsonb->>'SessionId', pg_temp.voice(2, 3), 14, speaker_id => 'customer2') r;

-- the other decisions
SELECT (r->'AuthenticationResult') - 'AuthenticationResultId' - 'GeneratedSpeakerId' AS authentication,
       r->'FraudDetectionResult'->>'Decision' AS fraud, r->'FraudDetectionResult' ? 'RiskDetails' AS has_risk_details
FROM fraud_voice_evaluate_session(:'d', 'call-4', pg_temp.voice(2, 4), 6, speaker_id => 'customer2') r;      -- too short
SELECT (r->'AuthenticationResult') - 'AuthenticationResultId' AS authentication
FROM fraud_voice_evaluate_session(:'d', 'call-5', pg_temp.voice(9, 4), 15, speaker_id => 'stranger') r;     -- unknown speaker
SELECT (r->'AuthenticationResult') - 'AuthenticationResultId' AS authentication
FROM fraud_voice_evaluate_session(:'d', 'call-6', pg_temp.voice(9, 4), 15) r;                               -- no speaker id
SELECT count(*) FROM fraud_voice_opt_out_speaker(:'d', 'customer4');
SELECT (r->'AuthenticationResult') - 'AuthenticationResultId' - 'GeneratedSpeakerId' AS authentication
FROM fraud_voice_evaluate_session(:'d', 'call-7', pg_temp.voice(4, 4), 15, speaker_id => 'customer4') r;    -- opted out
UPDATE fraud.voice_speakers SET status = 'EXPIRED' WHERE customer_speaker_id = 'customer3';
SELECT (r->'AuthenticationResult') - 'AuthenticationResultId' - 'GeneratedSpeakerId' AS authentication
FROM fraud_voice_evaluate_session(:'d', 'call-8', pg_temp.voice(3, 4), 15, speaker_id => 'customer3') r;    -- expired
SELECT r->'FraudDetectionResult'->>'Decision' AS fraud, r->'FraudDetectionResult'->'Reasons' AS reasons,
       r->'FraudDetectionResult'->'RiskDetails'->'VoiceSpoofingRisk' AS voice_spoofing_risk
FROM fraud_voice_evaluate_session(:'d', 'call-9', pg_temp.voice(1, 4), 15, speaker_id => 'customer1', voice_spoofing_risk => 77) r;
-- the domain's calibration decides what a cosine is worth: a strict one turns ACCEPT into REJECT
SELECT r->'AuthenticationResult'->>'Decision', r->'AuthenticationResult'->>'Score'
FROM fraud_voice_evaluate_session(:'d', 'call-10', pg_temp.voice(1, 4), 15, speaker_id => 'customer1') r;
SELECT cos_at_50, cos_at_90 FROM fraud_voice_update_domain(:'d', 'bank', cos_at_50 => 0.9, cos_at_90 => 0.99);
SELECT r->'AuthenticationResult'->>'Decision', (r->'AuthenticationResult'->>'Score')::int < 90 AS below_90
FROM fraud_voice_evaluate_session(:'d', 'call-10', pg_temp.voice(1, 4), 15, speaker_id => 'customer1') r;
SELECT cos_at_50, cos_at_90 FROM fraud_voice_update_domain(:'d', 'bank', cos_at_50 => 0.35, cos_at_90 => 0.6);
SELECT customer_speaker_id, last_accessed_at IS NOT NULL AS accessed FROM fraud_voice_list_speakers(:'d') ORDER BY 1;

-- an enrolment with a fraud check: fraudster 102 tries to enrol as a customer and fails;
-- customer 1 re-enrols (OVERWRITE)
CREATE TABLE enrol2 AS SELECT 'customer102' AS request_id, pg_temp.voice(102, 5) AS embedding, 40::real AS speech_seconds
UNION ALL SELECT 'customer1', pg_temp.voice(1, 5), 40;
SELECT job_id AS enrol2_job FROM fraud_voice_start_speaker_enrollment_job(:'d', '{"S3Uri": "SELECT * FROM enrol2 ORDER BY request_id"}',
    enrollment_config => '{"ExistingEnrollmentAction": "OVERWRITE", "FraudDetectionConfig": {"RiskThreshold": 50}}') \gset
SELECT pg_temp.wait_voice_job(:'enrol2_job');
SELECT request_id, result->>'EnrollmentStatus' AS status, result->>'ErrorCode' AS code,
       regexp_replace(result->>'ErrorMessage', 'id#[a-zA-Z0-9]{22} with risk score [0-9]+', 'id#... with risk score N') AS message
FROM fraud_voice_get_job_results(:'d', :'enrol2_job');
SELECT job_status, failed_records_count FROM fraud_voice_describe_speaker_enrollment_job(:'d', :'enrol2_job');
-- without any enrollment_config the fraud check still runs (FAIL, threshold 50, the default
-- watchlist): fraudster 103, in a new recording, is refused; with IGNORE the same request enrols
CREATE TABLE enrol3 AS SELECT 'customer103' AS request_id, pg_temp.voice(103, 5) AS embedding, 40::real AS speech_seconds;
SELECT job_id AS enrol3_job FROM fraud_voice_start_speaker_enrollment_job(:'d', '{"S3Uri": "enrol3"}') \gset
SELECT pg_temp.wait_voice_job(:'enrol3_job');
SELECT request_id, result->>'EnrollmentStatus' AS status, result->>'ErrorCode' AS code,
       regexp_replace(result->>'ErrorMessage', 'id#[a-zA-Z0-9]{22} with risk score [0-9]+', 'id#... with risk score N') AS message
FROM fraud_voice_get_job_results(:'d', :'enrol3_job');
SELECT job_id AS enrol4_job FROM fraud_voice_start_speaker_enrollment_job(:'d', '{"S3Uri": "enrol3"}',
    enrollment_config => '{"FraudDetectionConfig": {"FraudDetectionAction": "IGNORE"}}') \gset
SELECT pg_temp.wait_voice_job(:'enrol4_job');
SELECT request_id, result->>'EnrollmentStatus' AS status, result->>'ErrorCode' AS code FROM fraud_voice_get_job_results(:'d', :'enrol4_job');

-- a JSON manifest like Voice ID's, read from the server
COPY (SELECT jsonb_build_object('Version', '1.0', 'FraudsterRegistrationRequests', jsonb_agg(jsonb_build_object(
          'RequestId', 'm' || k, 'Embedding', to_jsonb(pg_temp.voice(k, 6)), 'SpeechSeconds', 15))
          || jsonb_build_array(jsonb_build_object('RequestId', 'broken', 'Embedding', 'not an array', 'SpeechSeconds', 15)))
      FROM generate_series(102, 104) k) TO '/tmp/fraud_detector_regress_manifest.json';
SELECT job_id AS m_job FROM fraud_voice_start_fraudster_registration_job(:'d', '{"S3Uri": "/tmp/fraud_detector_regress_manifest.json"}',
    registration_config => '{"DuplicateRegistrationAction": "REGISTER_AS_NEW"}') \gset
SELECT pg_temp.wait_voice_job(:'m_job');
SELECT request_id, result->>'RegistrationStatus' AS status, (result->>'FraudsterSimilarityScore')::int >= 80 AS similar,
       result->>'ErrorCode' AS code, result->>'ErrorMessage' AS message
FROM fraud_voice_get_job_results(:'d', :'m_job');

-- refusals
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'c', ARRAY[1, 2]::real[], 15)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'c', array_fill(0::real, ARRAY[192]), 15)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'c', array_fill('NaN'::real, ARRAY[192]), 15)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'c', NULL, 15)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'c', pg_temp.voice(1), -1)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'bad session!', pg_temp.voice(1), 15)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'id#GGGGGGGGGGGGGGGGGGGGGG', pg_temp.voice(1), 15)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'c', pg_temp.voice(1), 15, authentication_threshold => 101)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'c', pg_temp.voice(1), 15, voice_spoofing_risk => -1)$$, :'d'));
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 'c', pg_temp.voice(1), 15, watchlist_id => 'HHHHHHHHHHHHHHHHHHHHHH')$$, :'d'));
SELECT pg_temp.err($$SELECT fraud_voice_evaluate_session('HHHHHHHHHHHHHHHHHHHHHH', 'c', ARRAY[1]::real[], 15)$$);
SELECT pg_temp.err($$SELECT fraud_check_voice_id('{}', 'voiceprint')$$);
SELECT fraud_check_voice_id(NULL, 'fraudDetection'), fraud_check_voice_id('{}', 'voiceAuthentication');
SELECT count(*) AS sessions FROM fraud.voice_sessions;

SELECT fraud_voice_delete_domain(:'d');
DROP TABLE enrol, enrol2, enrol3, fraudsters;
