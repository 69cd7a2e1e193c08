//! `#[pg_test]`s: SQL behaviour asserted from inside a backend. The user-visible sessions
//! (every operation, its refusals and their SQLSTATEs) are pg_regress files under tests/.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn setup_event_type() {
        Spi::run(
            "SELECT fraud_put_entity_type('customer');
             SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', 'unknown');
             SELECT fraud_create_variable('order_price', 'FLOAT', 'EVENT', '0');
             SELECT fraud_put_event_type('registration', ARRAY['email_address', 'order_price'], ARRAY['customer']);
             SELECT fraud_put_detector('det', 'registration');
             SELECT fraud_put_outcome('review');",
        )
        .expect("setup");
    }

    #[pg_test]
    fn expression_lists_skips_strings() {
        let lists = Spi::get_one::<Vec<String>>(
            r#"SELECT fraud._expression_lists('regex_match(".*@gmail\.com", $e) or $ip in @bad_ips')"#,
        );
        assert_eq!(lists, Ok(Some(vec!["bad_ips".to_string()])));
    }

    #[pg_test]
    fn every_catalog_table_is_dumped() {
        // pg_dump only keeps rows of tables registered with pg_extension_config_dump; the fixed
        // list of variable types is extension data, not users'.
        let counts = Spi::get_two::<i64, i64>(
            "SELECT count(*) FILTER (WHERE NOT c.oid = ANY (e.extconfig)),
                    count(*) FILTER (WHERE c.oid = ANY (e.extconfig))
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                  pg_extension e
             WHERE e.extname = 'fraud_detector' AND n.nspname = 'fraud'
               AND c.relkind IN ('r', 'S') AND c.relname <> 'variable_types'",
        );
        assert_eq!(counts, Ok((Some(0), Some(18))));
    }

    #[pg_test]
    #[should_panic(expected = "variable 'no_such_variable' does not exist")]
    fn put_event_type_with_unknown_variable_fails() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_put_event_type('other', ARRAY['no_such_variable'], ARRAY['customer'])",
        )
        .unwrap();
    }

    #[pg_test]
    fn failed_call_leaves_nothing_behind() {
        setup_event_type();
        // the second outcome does not exist: neither the rule nor its version may remain
        let code = Spi::get_one::<String>(
            "CREATE FUNCTION pg_temp.try_create() RETURNS text LANGUAGE plpgsql AS $$
             BEGIN
                 PERFORM fraud_create_rule('r1', 'det', '$order_price > 10', ARRAY['review', 'nope']);
                 RETURN 'no error';
             EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE;
             END $$;
             SELECT pg_temp.try_create()",
        );
        assert_eq!(code, Ok(Some("42704".to_string())));
        let left = Spi::get_one::<i64>(
            "SELECT (SELECT count(*) FROM fraud.rules) + (SELECT count(*) FROM fraud.rule_versions)
                  + (SELECT count(*) FROM fraud.rule_version_outcomes)",
        );
        assert_eq!(left, Ok(Some(0)));
    }

    #[pg_test]
    fn activation_keeps_one_active_version() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_create_rule('r1', 'det', '$order_price > 10', ARRAY['review']);
             SELECT fraud_create_detector_version('det', '[{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"1\"}]');
             SELECT fraud_create_detector_version('det', '[{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"1\"}]');
             SELECT fraud_update_detector_version_status('det', '1', 'ACTIVE');
             SELECT fraud_update_detector_version_status('det', '2', 'ACTIVE');",
        )
        .unwrap();
        let statuses = Spi::get_one::<String>(
            "SELECT string_agg(detector_version_id || '=' || status, ',' ORDER BY detector_version_id)
             FROM fraud_describe_detector('det')",
        );
        assert_eq!(statuses, Ok(Some("1=INACTIVE,2=ACTIVE".to_string())));
    }

    #[pg_test]
    fn rule_versions_are_never_reused() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_create_rule('r1', 'det', '$order_price > 10', ARRAY['review']);
             SELECT fraud_update_rule_version('{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"1\"}', '$order_price > 20', ARRAY['review']);
             SELECT fraud_delete_rule('{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"2\"}');",
        )
        .unwrap();
        let next = Spi::get_one::<pgrx::JsonB>(
            "SELECT fraud_update_rule_version('{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"1\"}', '$order_price > 30', ARRAY['review'])",
        )
        .unwrap()
        .unwrap();
        assert_eq!(next.0["ruleVersion"], "3");
    }

    fn setup_active_detector() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_create_rule('big', 'det', '$order_price > 100', ARRAY['review']);
             SELECT fraud_create_detector_version('det', '[{\"detectorId\":\"det\",\"ruleId\":\"big\",\"ruleVersion\":\"1\"}]');
             SELECT fraud_update_detector_version_status('det', '1', 'ACTIVE');",
        )
        .unwrap();
    }

    #[pg_test]
    fn predict_returns_the_afd_shape() {
        setup_active_detector();
        let r =
            Spi::get_one::<pgrx::JsonB>("SELECT fraud_predict('det', '{\"order_price\": 500}')")
                .unwrap()
                .unwrap();
        assert_eq!(r.0["ruleResults"][0]["ruleId"], "big");
        assert_eq!(r.0["ruleResults"][0]["outcomes"][0], "review");
        assert!(r.0["modelScores"].as_array().is_some_and(|a| a.is_empty()));
        let none =
            Spi::get_one::<pgrx::JsonB>("SELECT fraud_predict('det', '{\"order_price\": 5}')")
                .unwrap()
                .unwrap();
        assert!(none.0["ruleResults"]
            .as_array()
            .is_some_and(|a| a.is_empty()));
    }

    #[pg_test]
    fn outcomes_follow_a_change_in_the_same_transaction() {
        setup_active_detector();
        let before =
            Spi::get_one::<Vec<String>>("SELECT fraud_outcomes('det', '{\"order_price\": 50}')");
        assert_eq!(before, Ok(Some(vec![])));
        // a new version with a lower threshold, activated in this same transaction
        Spi::run(
            "SELECT fraud_update_rule_version('{\"detectorId\":\"det\",\"ruleId\":\"big\",\"ruleVersion\":\"1\"}', '$order_price > 10', ARRAY['review']);
             SELECT fraud_create_detector_version('det', '[{\"detectorId\":\"det\",\"ruleId\":\"big\",\"ruleVersion\":\"2\"}]');
             SELECT fraud_update_detector_version_status('det', '2', 'ACTIVE');",
        )
        .unwrap();
        let after =
            Spi::get_one::<Vec<String>>("SELECT fraud_outcomes('det', '{\"order_price\": 50}')");
        assert_eq!(after, Ok(Some(vec!["review".to_string()])));
    }

    #[pg_test]
    #[should_panic(
        expected = "invalid value for variable \"order_price\" of type FLOAT: \"cheap\""
    )]
    fn unreadable_value_names_variable_and_value() {
        setup_active_detector();
        Spi::run("SELECT fraud_outcomes('det', '{\"order_price\": \"cheap\"}')").unwrap();
    }

    #[pg_test]
    #[should_panic(expected = "syntax error")]
    fn rule_with_syntax_error_is_refused() {
        setup_event_type();
        Spi::run("SELECT fraud_create_rule('r', 'det', '$order_price >> 1', ARRAY['review'])")
            .unwrap();
    }
}
