-- Every public function, every catalog table and the composite types explain themselves
-- (\df+, \d+): a COMMENT on each. Lists what lacks one (expected: nothing).
\i helpers.sql

SELECT 'function ' || p.oid::regprocedure AS missing_comment
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'fraud_detector'
WHERE p.pronamespace = e.extnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT 'table ' || c.oid::regclass
FROM pg_class c WHERE c.relnamespace = 'fraud'::regnamespace AND c.relkind IN ('r', 'p')
  AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT 'type ' || t.oid::regtype
FROM pg_type t WHERE t.typnamespace = 'fraud'::regnamespace AND t.typtype = 'c'
  AND t.typrelid IN (SELECT oid FROM pg_class WHERE relkind = 'c')
  AND obj_description(t.oid, 'pg_type') IS NULL
ORDER BY 1;

-- how many there are, so that the check above cannot pass by finding nothing to check
SELECT count(*) FILTER (WHERE p.pronamespace = e.extnamespace) > 80 AS many_public_functions,
       count(*) FILTER (WHERE p.pronamespace = e.extnamespace AND obj_description(p.oid, 'pg_proc') LIKE '%Errors:%')
         > 50 AS most_name_their_errors
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'fraud_detector';
SELECT count(*) >= 30 AS catalog_tables FROM pg_class WHERE relnamespace = 'fraud'::regnamespace AND relkind = 'r';
