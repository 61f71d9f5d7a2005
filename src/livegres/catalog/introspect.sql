-- The whole catalog as one JSON value, read in one statement (one snapshot).
--
-- Scope: every schema except pg_catalog, information_schema and the other pg_* schemas
-- (pg_toast*, pg_temp*: the pg_ prefix is reserved, so no user schema can carry it).
-- hdb_catalog is included.
--
-- Output: {server_version_num, schemas, relations, columns, constraints, unique_indexes,
-- functions, types}. Each list holds positional rows (JSON arrays, cheaper to build and to
-- parse than objects with keys) whose fields are named in the comment above it; load.py
-- unpacks them in the same order. Rows refer to relations and types by oid. Oids leave as
-- int8, because json renders the oid type as a string. Names sort by code point (collation
-- "C"), the order Python sorts strings in.
--
-- The types list holds every type that a column or function uses, every type defined in
-- a scoped schema (except implicit row types of tables and arrays nobody uses), and,
-- transitively, their array elements, domain base types and range subtypes.
with recursive
schemas as (
    select n.oid, n.nspname::text as name
    from pg_catalog.pg_namespace n
    where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
),
-- Tables, views, materialized views, foreign tables, partitioned tables, and the
-- relations behind standalone composite types (relkind c).
rels as (
    select c.oid, c.relname::text as name, c.relkind, c.reltype, s.name as schema
    from pg_catalog.pg_class c
    join schemas s on s.oid = c.relnamespace
    where c.relkind in ('r', 'v', 'm', 'f', 'p', 'c')
),
attrs as (
    select a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
           a.attidentity, a.attgenerated, a.atthasdef
    from pg_catalog.pg_attribute a
    where a.attrelid in (select oid from rels) and a.attnum > 0 and not a.attisdropped
),
funcs as (
    select p.oid, p.pronamespace, p.proname, p.prolang, p.pronargdefaults, p.prorettype,
           p.proretset, p.provolatile, p.proargmodes, p.proargnames,
           coalesce(p.proallargtypes, p.proargtypes::pg_catalog.oid[]) as argtypes
    from pg_catalog.pg_proc p
    where p.pronamespace in (select oid from schemas) and p.prokind = 'f'
),
type_seeds(oid) as (
    select atttypid from attrs
    union
    select prorettype from funcs
    union
    select unnest(argtypes) from funcs
    union
    select t.oid
    from pg_catalog.pg_type t
    where t.typnamespace in (select oid from schemas)
      and (t.typtype in ('e', 'd', 'r', 'm')
           or (t.typtype = 'b' and not (t.typelem <> 0 and t.typlen = -1))
           or t.typrelid in (select oid from rels where relkind = 'c'))
),
type_ids(oid) as (
    select oid from type_seeds
    union
    select next.oid
    from type_ids i
    join pg_catalog.pg_type t on t.oid = i.oid
    left join pg_catalog.pg_range r on r.rngtypid = t.oid
    cross join lateral (values (t.typelem), (t.typbasetype), (r.rngsubtype)) as next(oid)
    where next.oid <> 0
),
enum_labels as (
    select e.enumtypid, array_agg(e.enumlabel::text order by e.enumsortorder) as labels
    from pg_catalog.pg_enum e
    group by e.enumtypid
)
select json_build_object(
    'server_version_num', pg_catalog.current_setting('server_version_num')::int,
    'schemas', (select json_agg(s.name order by s.name collate "C") from schemas s),
    -- [oid, schema, name, relkind, row type oid, comment,
    --  pg_relation_is_updatable bits (views and foreign tables only; INSTEAD OF triggers count)]
    'relations', (
        select json_agg(json_build_array(
            r.oid::int8,
            r.schema,
            r.name,
            r.relkind,
            r.reltype::int8,
            d.description,
            case when r.relkind in ('v', 'f') then pg_catalog.pg_relation_is_updatable(r.oid, true) end
        ) order by r.schema collate "C", r.name collate "C")
        from rels r
        left join pg_catalog.pg_description d
            on d.objoid = r.oid and d.classoid = 'pg_catalog.pg_class'::regclass and d.objsubid = 0
    ),
    -- [relation oid, attnum, name, type oid, format_type text, not null,
    --  default expression (for a generated column: its generation expression),
    --  attidentity, attgenerated, comment]
    'columns', (
        select json_agg(json_build_array(
            a.attrelid::int8,
            a.attnum,
            a.attname,
            a.atttypid::int8,
            pg_catalog.format_type(a.atttypid, a.atttypmod),
            a.attnotnull,
            -- defaults cannot refer to columns, so need no relation to print (which is faster)
            case when a.atthasdef then pg_catalog.pg_get_expr(
                ad.adbin, case when a.attgenerated = '' then 0 else ad.adrelid end) end,
            nullif(a.attidentity::text, ''),
            nullif(a.attgenerated::text, ''),
            d.description
        ) order by a.attrelid, a.attnum)
        from attrs a
        left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
        left join pg_catalog.pg_description d
            on d.objoid = a.attrelid and d.classoid = 'pg_catalog.pg_class'::regclass
            and d.objsubid = a.attnum
    ),
    -- [relation oid, name, contype, attnums, deferrable,
    --  referenced relation oid, referenced attnums, on update, on delete, check definition]
    'constraints', (
        select json_agg(json_build_array(
            k.conrelid::int8,
            k.conname,
            k.contype,
            k.conkey,
            k.condeferrable,
            case when k.contype = 'f' then k.confrelid::int8 end,
            k.confkey,
            case when k.contype = 'f' then k.confupdtype end,
            case when k.contype = 'f' then k.confdeltype end,
            case when k.contype = 'c' then pg_catalog.pg_get_constraintdef(k.oid, true) end
        ) order by k.conrelid, k.conname)
        from pg_catalog.pg_constraint k
        where k.conrelid in (select oid from rels)
          and k.contype in ('p', 'u', 'f', 'c')
          -- A foreign key to a partitioned table is repeated for each of its partitions,
          -- as a child constraint on the same referencing table: keep only the parent.
          and not (k.contype = 'f' and k.conparentid <> 0 and exists (
              select 1 from pg_catalog.pg_constraint parent
              where parent.oid = k.conparentid and parent.conrelid = k.conrelid))
    ),
    -- Unique indexes that back no constraint and that ON CONFLICT (columns) can infer:
    -- valid, immediate, on plain columns, not partial.
    -- [relation oid, index name, attnums (key columns, then INCLUDE columns), key column count]
    'unique_indexes', (
        select json_agg(json_build_array(
            i.indrelid::int8,
            c.relname,
            i.indkey::int2[],
            i.indnkeyatts
        ) order by i.indrelid, c.relname)
        from pg_catalog.pg_index i
        join pg_catalog.pg_class c on c.oid = i.indexrelid
        where i.indrelid in (select oid from rels)
          and i.indisunique and not i.indisprimary and i.indisvalid and i.indimmediate
          and i.indpred is null and i.indexprs is null
          and not exists (
              select 1 from pg_catalog.pg_constraint k
              where k.conindid = i.indexrelid and k.contype in ('p', 'u'))
    ),
    -- [oid, schema, name, argument type oids (all, OUT ones included), argument modes
    --  (null: all IN), argument names (null: none), number of defaults, return type oid,
    --  returns set, provolatile, language, comment]
    'functions', (
        select json_agg(json_build_array(
            f.oid::int8,
            s.name,
            f.proname,
            f.argtypes::int8[],
            f.proargmodes,
            f.proargnames,
            f.pronargdefaults,
            f.prorettype::int8,
            f.proretset,
            f.provolatile,
            l.lanname,
            d.description
        ) order by s.name collate "C", f.proname collate "C", f.oid)
        from funcs f
        join schemas s on s.oid = f.pronamespace
        join pg_catalog.pg_language l on l.oid = f.prolang
        left join pg_catalog.pg_description d
            on d.objoid = f.oid and d.classoid = 'pg_catalog.pg_proc'::regclass and d.objsubid = 0
    ),
    -- [oid, schema, schema as an SQL identifier, name, typtype, array element oid,
    --  domain base type oid, range subtype oid, enum labels, comment (outside pg_catalog)]
    'types', (
        select json_agg(json_build_array(
            t.oid::int8,
            n.nspname,
            pg_catalog.quote_ident(n.nspname),
            t.typname,
            t.typtype,
            case when t.typtype = 'b' and t.typelem <> 0 and t.typlen = -1 then t.typelem::int8 end,
            nullif(t.typbasetype, 0)::int8,
            r.rngsubtype::int8,
            e.labels,
            case when n.nspname <> 'pg_catalog' then d.description end
        ) order by t.oid)
        from type_ids i
        join pg_catalog.pg_type t on t.oid = i.oid
        join pg_catalog.pg_namespace n on n.oid = t.typnamespace
        left join pg_catalog.pg_range r on r.rngtypid = t.oid
        left join enum_labels e on e.enumtypid = t.oid
        left join pg_catalog.pg_description d
            on d.objoid = t.oid and d.classoid = 'pg_catalog.pg_type'::regclass and d.objsubid = 0
    )
)::text
