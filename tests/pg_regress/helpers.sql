-- Every regression session starts from a fresh extension.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS fraud_detector CASCADE;
CREATE EXTENSION fraud_detector;
RESET client_min_messages;
-- err(statement): runs it; shows 'SQLSTATE: message' instead of aborting, or 'no error'.
CREATE FUNCTION pg_temp.err(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- voice(k, n, noise, dim): a deterministic pseudo-random voiceprint of speaker k, recording n:
-- a fixed voice plus recording noise (noise 0.5 in 192 dimensions: cosine about 0.85 with
-- another recording of the same speaker, about 0 with anybody else)
CREATE FUNCTION pg_temp.voice(k int, n int DEFAULT 0, noise real DEFAULT 0.5, dim int DEFAULT 192) RETURNS real[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(((hashint8(k::bigint * 100003 + i) % 10000) / 10000.0
                    + noise * (hashint8(k::bigint * 7919 + n * 104729 + i::bigint * 15485863) % 10000) / 10000.0)::real ORDER BY i)
  FROM generate_series(1, dim) i $$;
-- wait_voice_job(job): waits (at most 60 s) for a Voice ID job to end; returns its status
CREATE FUNCTION pg_temp.wait_voice_job(job text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOR i IN 1..1200 LOOP
        SELECT status INTO s FROM fraud.jobs WHERE job_id = job;
        EXIT WHEN s IN ('COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED');
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN s;
END $$;
