-- Voice ID at scale: the fraud score means the same at any watchlist size. The closest of
-- 20,000 unrelated voices is far more similar than a typical one, so with a fixed cosine-to-score
-- map unknown callers would be flagged HIGH_RISK far more often than against Voice ID's
-- 500-voice watchlists; the score is normalised for the watchlist's size (docs/voice-id.md,
-- "Large watchlists"). Synthetic voices of dimension 192 (helpers.sql); the domain's score-50
-- anchor, cosine 0.32, is 4.4 spreads above unrelated voices: a 500-voice watchlist flags about
-- 0.2 % of unknown callers (bench/voice.sh measures the default 0.35 at up to 100,000 voices).
\i helpers.sql

SELECT domain_id AS d, watchlist_details->>'DefaultWatchlistId' AS dw
FROM fraud_voice_create_domain('scale', 192, cos_at_50 => 0.32, cos_at_90 => 0.60) \gset
SELECT watchlist_id AS small FROM fraud_voice_create_watchlist(:'d', 'small') \gset

-- 20,000 fraudsters (speakers 1..20000, one noisy recording each) written straight into the
-- catalog, as bench/voice.sh does; all in the default watchlist, the first 500 also in 'small'
INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds)
SELECT :'d', 'id#' || lpad(k::text, 22, '0'), fraud._voice_normalize('embedding', pg_temp.voice(k), 192), 20
FROM generate_series(1, 20000) k;
INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
SELECT :'d', fraudster_id, :'dw' FROM fraud.voice_fraudsters WHERE domain_id = :'d';
INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
SELECT :'d', 'id#' || lpad(k::text, 22, '0'), :'small' FROM generate_series(1, 500) k;

-- the cosine shift for the watchlist's size (fraud._voice_score_shift): none at 500 voices
SELECT fraud._voice_score_shift(:'d', :'small', 0.32) AS shift_500,
       fraud._voice_score_shift(:'d', :'dw', 0.32) BETWEEN 0.03 AND 0.08 AS shift_20000_plausible;

-- 200 unknown callers and 100 fraudster callers (a new recording of a registered voice).
-- plain_score: the fixed map applied to the same closest fraudster, as before normalisation.
CREATE TEMP TABLE calls AS
SELECT c.fraudster, c.k, c.r,
       fraud._voice_score(fraud._voice_normalize('e', c.e, 192), f.embedding, 0.32, 0.60) AS plain_score
FROM (SELECT x.*, fraud_voice_evaluate_session(:'d', 'call' || x.k, x.e, 20)->'FraudDetectionResult' AS r
      FROM (SELECT false AS fraudster, 1000000 + i AS k, pg_temp.voice(1000000 + i, 7) AS e FROM generate_series(1, 200) i
            UNION ALL
            SELECT true, 1 + (i * 4999) % 20000, pg_temp.voice(1 + (i * 4999) % 20000, 7) FROM generate_series(1, 100) i) x) c
LEFT JOIN fraud.voice_fraudsters f ON f.fraudster_id = c.r->'RiskDetails'->'KnownFraudsterRisk'->>'GeneratedFraudsterId';
SELECT count(*) FILTER (WHERE NOT fraudster) AS unknown_callers,
       count(*) FILTER (WHERE NOT fraudster AND plain_score >= 50) AS unknown_flagged_by_the_plain_map,
       count(*) FILTER (WHERE NOT fraudster AND r->>'Decision' = 'HIGH_RISK') AS unknown_flagged,
       count(*) FILTER (WHERE NOT fraudster AND r->>'Decision' = 'HIGH_RISK')
         <= 0.01 * count(*) FILTER (WHERE NOT fraudster) AS unknown_flagged_at_most_1_percent
FROM calls;
SELECT count(*) FILTER (WHERE fraudster) AS fraudster_callers,
       count(*) FILTER (WHERE fraudster AND r->>'Decision' = 'HIGH_RISK') AS fraudsters_caught,
       count(*) FILTER (WHERE fraudster AND r->>'Decision' = 'HIGH_RISK')
         >= 0.99 * count(*) FILTER (WHERE fraudster) AS fraudsters_caught_at_least_99_percent,
       bool_and(r->'RiskDetails'->'KnownFraudsterRisk'->>'GeneratedFraudsterId' = 'id#' || lpad(k::text, 22, '0'))
         FILTER (WHERE fraudster) AS each_fraudster_named
FROM calls;

-- a watchlist of Voice ID's size (500) keeps the plain cosine-to-score map
CREATE TEMP TABLE small_calls AS
SELECT k, v, fraud_voice_evaluate_session(:'d', 'small' || k, v, 20, watchlist_id => :'small')->'FraudDetectionResult' AS r
FROM (SELECT k, fraud._voice_normalize('e', pg_temp.voice(k, 7), 192) AS v
      FROM (SELECT 2000000 + i AS k FROM generate_series(1, 50) i UNION ALL SELECT i * 10 FROM generate_series(1, 50) i) x) c;
SELECT count(*) AS calls,
       bool_and((r->'RiskDetails'->'KnownFraudsterRisk'->>'RiskScore')::int
                = (SELECT fraud._voice_calibrate(n.cosine, 0.32, 0.60) FROM fraud._voice_nearest(:'d', v, :'small') n))
         AS plain_map,
       count(*) FILTER (WHERE r->>'Decision' = 'HIGH_RISK') AS high_risk
FROM small_calls;

-- duplicate detection over the 20,000 (normalised the same way): 10 new recordings of
-- registered voices are skipped as duplicates of their own voice, 30 new voices are registered
CREATE TABLE scale_requests AS
SELECT 'dup' || i AS request_id, pg_temp.voice(i * 1327, 3) AS embedding, 20::real AS speech_seconds
FROM generate_series(1, 10) i
UNION ALL
SELECT 'new' || i, pg_temp.voice(3000000 + i, 3), 20 FROM generate_series(1, 30) i;
SELECT job_id AS job FROM fraud_voice_start_fraudster_registration_job(:'d', '{"S3Uri": "scale_requests"}', 'scale') \gset
SELECT pg_temp.wait_voice_job(:'job');
SELECT left(request_id, 3) AS requests, result->>'RegistrationStatus' AS status, count(*),
       bool_and(result->>'RegistrationStatus' <> 'DUPLICATE_SKIPPED'
                OR result->>'GeneratedFraudsterId' = 'id#' || lpad((substr(request_id, 4)::int * 1327)::text, 22, '0'))
         AS skipped_as_its_own_voice
FROM fraud_voice_get_job_results(:'d', :'job') GROUP BY 1, 2 ORDER BY 1, 2;
DROP TABLE scale_requests;
