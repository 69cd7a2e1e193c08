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
