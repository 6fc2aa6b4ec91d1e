-- The discipline(s) each athlete competed in (alternates are left out: they may not have
-- competed). Only items that are real disciplines (events.sport) count.
-- athlete_named (athletes with their unambiguous names) is the view in _athlete_named.sql.
WITH entered AS (
  SELECT a.code, a.athlete, a.country, a.first_discipline, d.discipline
  FROM athlete_named AS a
  -- Python list literal -> items: the quote differs per item ('A', "B's"); a value
  -- that is not a quoted list (empty, or Kaggle's unquoted [A]) yields no item.
  LATERAL VIEW explode(CASE WHEN substr(a.disciplines, 1, 2) IN ('[\'', '["') THEN transform(regexp_extract_all(a.disciplines, '\'[^\']*\'|"[^"]*"', 0), x -> substr(x, 2, length(x) - 2)) ELSE CAST(array() AS ARRAY<STRING>) END) d AS discipline
  WHERE a.role = 'Athlete'
),
known AS (
  SELECT DISTINCT e.code, e.athlete, e.country, e.first_discipline, e.discipline
  FROM entered AS e
  JOIN (SELECT DISTINCT sport FROM events) AS s ON s.sport = e.discipline
),
grouped AS (
  SELECT code, athlete, country, first_discipline, sort_array(collect_list(discipline)) AS discipline_list
  FROM known
  GROUP BY code, athlete, country, first_discipline
)
SELECT
  'athlete_disciplines' AS relation,
  code AS fact_key,
  athlete AS subject,
  CASE WHEN size(discipline_list) = 1 THEN element_at(discipline_list, 1) ELSE concat(array_join(slice(discipline_list, 1, size(discipline_list) - 1), ', '), ' and ', element_at(discipline_list, -1)) END AS answer_value,
  concat('At Paris 2024, ', athlete, ' competed in ', CASE WHEN size(discipline_list) = 1 THEN element_at(discipline_list, 1) ELSE concat(array_join(slice(discipline_list, 1, size(discipline_list) - 1), ', '), ' and ', element_at(discipline_list, -1)) END, '.') AS answer,
  athlete,
  country,
  first_discipline AS discipline
FROM grouped
-- A subject that contains its own answer makes no question.
WHERE instr(lower(athlete), lower(CASE WHEN size(discipline_list) = 1 THEN element_at(discipline_list, 1) ELSE concat(array_join(slice(discipline_list, 1, size(discipline_list) - 1), ', '), ' and ', element_at(discipline_list, -1)) END)) = 0
ORDER BY code
