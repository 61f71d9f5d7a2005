-- A digest of the catalog rows the model is read from; fingerprint.py explains the trick.
--
-- For most catalogs: the multiset of the transaction ids that wrote the visible rows
-- (xmin -> number of rows). For pg_class, whose rows TRUNCATE, REFRESH MATERIALIZED VIEW,
-- VACUUM FULL and CLUSTER rewrite without any schema change: each relation's identity.
-- For pg_index: which indexes are not yet (or no longer) valid.
with
schemas as (
    select n.oid, n.nspname
    from pg_catalog.pg_namespace n
    where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
),
all_rels as (
    select c.oid, c.relnamespace, c.relkind, c.relname
    from pg_catalog.pg_class c
    where c.relnamespace in (select oid from schemas)
),
rels as (
    select oid from all_rels where relkind in ('r', 'v', 'm', 'f', 'p', 'c')
),
writers(catalog, xid, n) as (
    select 'attribute', a.xmin, count(*)
    from pg_catalog.pg_attribute a
    where a.attrelid in (select oid from rels) and a.attnum > 0
    group by a.xmin
    union all
    select 'attrdef', d.xmin, count(*)
    from pg_catalog.pg_attrdef d
    where d.adrelid in (select oid from rels)
    group by d.xmin
    union all
    select 'constraint', k.xmin, count(*)
    from pg_catalog.pg_constraint k
    where k.connamespace in (select oid from schemas)
    group by k.xmin
    -- view definitions and INSTEAD OF triggers decide whether a view is updatable
    union all
    select 'rewrite', w.xmin, count(*)
    from pg_catalog.pg_rewrite w
    where w.ev_class in (select oid from rels)
    group by w.xmin
    union all
    select 'trigger', g.xmin, count(*)
    from pg_catalog.pg_trigger g
    where g.tgrelid in (select oid from rels) and g.tgtype & 64 <> 0
    group by g.xmin
    union all
    select 'type', t.xmin, count(*)
    from pg_catalog.pg_type t
    where t.typnamespace in (select oid from schemas)
    group by t.xmin
    union all
    select 'enum', e.xmin, count(*)
    from pg_catalog.pg_enum e
    group by e.xmin
    union all
    select 'proc', p.xmin, count(*)
    from pg_catalog.pg_proc p
    where p.pronamespace in (select oid from schemas)
    group by p.xmin
    -- comments on objects made after initdb (16384 is FirstNormalObjectId)
    union all
    select 'description', m.xmin, count(*)
    from pg_catalog.pg_description m
    where m.objoid >= 16384
    group by m.xmin
)
select pg_catalog.md5(concat_ws('|',
    (select string_agg(s.oid || ':' || s.nspname, ',' order by s.oid) from schemas s),
    (select string_agg(r.oid || r.relkind::text || r.relnamespace || ':' || r.relname, ',' order by r.oid)
     from all_rels r),
    (select string_agg(i.indexrelid::text, ',' order by i.indexrelid)
     from pg_catalog.pg_index i
     where i.indrelid in (select oid from all_rels)
       and not (i.indisvalid and i.indisready and i.indislive)),
    (select string_agg(w.catalog || w.xid || ':' || w.n, ',' order by w.catalog, w.xid::text)
     from writers w)
))
