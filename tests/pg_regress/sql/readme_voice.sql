-- The README tour's Voice ID statements, exactly as the README writes them (keep the two in
-- step): a domain, five synthetic fraudsters registered by a job, the wait for it, and a call
-- from one of them evaluated and sent down Check Voice ID's branch.
\i helpers.sql
-- Voice ID: voiceprints are speaker embeddings (real[]) from any model, computed outside the
-- database. Here five synthetic 192-number voiceprints, made from a seed, play known fraudsters.
SELECT domain_id FROM fraud_voice_create_domain('contact-centre', embedding_dimension => 192) \gset
CREATE TABLE known_fraudsters AS
    SELECT 'fraudster-' || k AS request_id, 30::real AS speech_seconds,
           array_agg((hashint8(k * 1000 + i) % 1000) / 1000.0 ORDER BY i)::real[] AS embedding
    FROM generate_series(1, 5) k, generate_series(1, 192) i GROUP BY k ORDER BY k;
SELECT job_id FROM fraud_voice_start_fraudster_registration_job(:'domain_id', '{"S3Uri": "known_fraudsters"}') \gset
-- a background worker registers them: wait until no registration job is running (a minute at most)
DO $$ BEGIN FOR i IN 1..600 LOOP EXIT WHEN NOT EXISTS (SELECT FROM fraud_voice_list_domains() d,
    fraud_voice_list_fraudster_registration_jobs(d.domain_id) j WHERE j.job_status IN ('SUBMITTED', 'IN_PROGRESS'));
    PERFORM pg_sleep(0.1); END LOOP; END $$;
SELECT job_status, processed_records_count FROM fraud_voice_describe_fraudster_registration_job(:'domain_id', :'job_id');
-- COMPLETED | 5
SELECT request_id, result->>'RegistrationStatus' AS status, result->'FraudsterSimilarityScore' AS closest
FROM fraud_voice_get_job_results(:'domain_id', :'job_id');   -- NEW_REGISTRATION, closest null for the first
-- during a call: the caller's embedding, here fraudster-3's voice again with a little noise. In
-- psql write one as '{0.12,-0.03,...}'::real[] or ARRAY[0.12, -0.03, ...]::real[], or keep it in
-- a variable (\set caller '{0.12,-0.03,...}', or \gset from a query as here) and pass :'caller'
SELECT array_agg(e + (hashint8(i) % 1000) / 10000.0 ORDER BY i)::real[] AS caller
FROM known_fraudsters, unnest(embedding) WITH ORDINALITY u(e, i) WHERE request_id = 'fraudster-3' \gset
-- is this the customer, is it a known fraudster, and which branch does the contact flow take?
SELECT r #>> '{AuthenticationResult,Decision}' AS authentication, r #>> '{FraudDetectionResult,Decision}' AS fraud,
       r #> '{FraudDetectionResult,RiskDetails,KnownFraudsterRisk,RiskScore}' AS risk,
       (SELECT request_id FROM fraud_voice_get_job_results(:'domain_id', :'job_id') WHERE result->>'GeneratedFraudsterId'
            = r #>> '{FraudDetectionResult,RiskDetails,KnownFraudsterRisk,GeneratedFraudsterId}') AS matched,
       fraud_check_voice_id(r, 'fraudDetection') AS check_voice_id
FROM fraud_voice_evaluate_session(:'domain_id', 'call-0042', :'caller', 14.5, speaker_id => 'customer-17') r;
-- SPEAKER_NOT_ENROLLED | HIGH_RISK | 100 | fraudster-3 | High risk

-- not in the README: leave the database as the other sessions expect it
DROP TABLE known_fraudsters;
