-- Rules are parsed and type checked when they are written: 42601 with the position for a
-- syntax error, 22023 for an unknown variable or list, a type mismatch or a non-boolean rule.
-- Nothing is stored after an error.
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', '');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('tries', 'INTEGER', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['email', 'amount', 'tries'], ARRAY['customer']);
SELECT fraud_put_detector('payments', 'payment');
SELECT fraud_put_outcome('review');
SELECT fraud_create_list('bad_emails', ARRAY['x@y.z']);

SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$amount >', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$amount = 5', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '($amount > 5', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$amount > 5 $tries', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '"unterminated', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$email > 5', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$nope == 1', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$email in @nope', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$amount + 1', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '@bad_emails == "x"', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', 'regex_match("(", $email)', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', 'frob($email)', ARRAY['review'])$$);
SELECT count(*) AS rules_stored FROM fraud.rules;

-- the error shows where
SELECT fraud_create_rule('r', 'payments', '$amount > 5 and $email == ', ARRAY['review']);

-- valid rules, and UpdateRuleVersion checks too
SELECT fraud_create_rule('ok', 'payments', '$email in @bad_emails or lowercase($email) == "a" or $amount * 2 > $tries', ARRAY['review']);
SELECT pg_temp.err($$SELECT fraud_update_rule_version('{"detectorId": "payments", "ruleId": "ok", "ruleVersion": "1"}', '$amount > "5"', ARRAY['review'])$$);
SELECT count(*) AS versions FROM fraud.rule_versions;

-- an event type change that would break a rule is refused (55006)
SELECT pg_temp.err($$SELECT fraud_put_event_type('payment', ARRAY['email', 'tries'], ARRAY['customer'])$$);
SELECT event_variables FROM fraud_get_event_types('payment');
SELECT fraud_create_variable('country', 'STRING', 'EVENT', 'XX');
SELECT fraud_put_event_type('payment', ARRAY['email', 'amount', 'tries', 'country'], ARRAY['customer']);
SELECT event_variables FROM fraud_get_event_types('payment');
