-- Tags on any resource, addressed by ARN (TagResource, UntagResource, ListTagsForResource).

CREATE FUNCTION fraud_tag_resource(resource_arn text, tags jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    r := fraud._resolve_arn(resource_arn);
    PERFORM fraud._required('tags', tags);
    PERFORM fraud._set_tags(r.resource_type, r.resource_id, tags);
END $$;
COMMENT ON FUNCTION fraud_tag_resource(text, jsonb) IS 'TagResource: adds or overwrites tags ({"key": "value"} or [{"key", "value"}]) on the resource named by arn:fraud:<database>:<type>/<id>. Errors: 22023 malformed ARN or tags; 42704 no such resource in this database; 54000 more than 200 tags.';

CREATE FUNCTION fraud_untag_resource(resource_arn text, tag_keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    r := fraud._resolve_arn(resource_arn);
    PERFORM fraud._required('tag_keys', tag_keys);
    IF cardinality(tag_keys) > 50 THEN
        PERFORM fraud._invalid('tag_keys', tag_keys::text, '(at most 50 keys)');
    END IF;
    DELETE FROM fraud.tags t WHERE t.resource_type = r.resource_type AND t.resource_id = r.resource_id
        AND t.key = ANY (tag_keys);
END $$;
COMMENT ON FUNCTION fraud_untag_resource(text, text[]) IS 'UntagResource: removes the given tag keys (at most 50; absent keys are fine) from the resource the ARN names. Errors: 22023 malformed ARN, NULL or too many keys; 42704 no such resource.';

CREATE FUNCTION fraud._list_tags_for_resource(p_resource_arn text) RETURNS TABLE (key text, value text)
LANGUAGE plpgsql STABLE AS $$
DECLARE r record;
BEGIN
    r := fraud._resolve_arn(p_resource_arn);
    RETURN QUERY SELECT t.key, t.value FROM fraud.tags t
        WHERE t.resource_type = r.resource_type AND t.resource_id = r.resource_id ORDER BY t.key;
END $$;

CREATE FUNCTION fraud_list_tags_for_resource(resource_arn text) RETURNS TABLE (key text, value text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._list_tags_for_resource(resource_arn) $$;
COMMENT ON FUNCTION fraud_list_tags_for_resource(text) IS 'ListTagsForResource: the tags of the resource the ARN names, as (key, value) rows sorted by key. Errors: 22023 malformed ARN; 42704 no such resource.';
