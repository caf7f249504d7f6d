-- topup.sql — brings the benchmark's big datastore (ce-1.3 fixture at the
-- largest scale its unique names allow, 333) to the issue's size: 1,000,000
-- consumers and 200,000 routes, then pads the database to 1 GB with a
-- bench-only table (bench_padding, dumped by both the wizard and the bare
-- pg_dump). Run by bench-env as the superuser in that database.
SET search_path = public;
INSERT INTO consumers (id, created_at, username, custom_id)
SELECT overlay(overlay(md5('kuw:bench-consumer:' || i) placing '4' from 13) placing '8' from 17)::uuid,
       timestamp '2019-05-01 09:00:00' + i * interval '1 second',
       'bench-user-' || i, 'bench-cust-' || i
  FROM generate_series((SELECT count(*) FROM consumers) + 1, 1000000) AS i;
INSERT INTO routes (id, created_at, updated_at, service_id, name, protocols, paths,
                    regex_priority, strip_path, preserve_host)
SELECT overlay(overlay(md5('kuw:bench-route:' || i) placing '4' from 13) placing '8' from 17)::uuid,
       timestamp '2019-05-02 09:00:00' + i * interval '1 second',
       timestamp '2019-05-02 09:00:00' + i * interval '1 second',
       overlay(overlay(md5('kuw:service:' || ((i - 1) % s.n + 1)) placing '4' from 13)
               placing '8' from 17)::uuid,
       'bench-route-' || i, ARRAY['http', 'https'], ARRAY['/bench/' || i], 0, true, false
  FROM (SELECT count(*) AS n FROM services) AS s,
       generate_series((SELECT count(*) FROM routes) + 1, 200000) AS i;
CREATE TABLE bench_padding (id bigint PRIMARY KEY, payload text);
ALTER TABLE bench_padding ALTER payload SET STORAGE EXTERNAL;
INSERT INTO bench_padding
SELECT i, md5(i::text) || md5((i * 7)::text) || md5((i * 13)::text) || md5((i * 31)::text)
  FROM generate_series(1, GREATEST(0, (1073741824 - pg_database_size(current_database())) / 200)) AS i;
ALTER TABLE bench_padding OWNER TO kong;
