-- Tags on any resource, addressed by ARN (TagResource, UntagResource, ListTagsForResource).

CREATE FUNCTION fraud_tag_resource(resource_arn text, tags jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    r := fraud._resolve_arn(resource_arn);
    PERFORM fraud._required('tags', tags);
    PERFORM fraud._set_tags(r.resource_type, r.resource_id, tags);
END $$;

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

CREATE FUNCTION fraud._list_tags_for_resource(resource_arn text) RETURNS TABLE (key text, value text)
LANGUAGE plpgsql STABLE AS $$
DECLARE r record;
BEGIN
    r := fraud._resolve_arn(resource_arn);
    RETURN QUERY SELECT t.key, t.value FROM fraud.tags t
        WHERE t.resource_type = r.resource_type AND t.resource_id = r.resource_id ORDER BY t.key;
END $$;

CREATE FUNCTION fraud_list_tags_for_resource(resource_arn text) RETURNS TABLE (key text, value text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._list_tags_for_resource(resource_arn) $$;
