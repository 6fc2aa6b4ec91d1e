-- The event(s) each athlete competed in (alternates are left out). An item counts only when
-- it is an event of one of the athlete's disciplines, which drops stray list items such
-- as 'Women' in a gymnast's list.
-- athlete_named (athletes with their unambiguous names) is the view in _athlete_named.sql.
WITH entered AS (
  SELECT a.code, a.athlete, a.country, a.first_discipline, d.discipline, ev.event
  FROM athlete_named AS a
  -- Python list literal -> items: the quote differs per item ('A', "B's"); a value
  -- that is not a quoted list (empty, or Kaggle's unquoted [A]) yields no item.
  LATERAL VIEW explode(CASE WHEN substr(a.disciplines, 1, 2) IN ('[\'', '["') THEN transform(regexp_extract_all(a.disciplines, '\'[^\']*\'|"[^"]*"', 0), x -> substr(x, 2, length(x) - 2)) ELSE CAST(array() AS ARRAY<STRING>) END) d AS discipline
  LATERAL VIEW explode(CASE WHEN substr(a.events, 1, 2) IN ('[\'', '["') THEN transform(regexp_extract_all(a.events, '\'[^\']*\'|"[^"]*"', 0), x -> substr(x, 2, length(x) - 2)) ELSE CAST(array() AS ARRAY<STRING>) END) ev AS event
  WHERE a.role = 'Athlete'
),
known AS (
  SELECT DISTINCT
    e.code,
    e.athlete,
    e.country,
    e.first_discipline,
    CASE WHEN e.event IN ('Men', 'Women') THEN concat(e.event, '\'s ', e.discipline) ELSE e.event END
      AS event_name
  FROM entered AS e
  JOIN events AS k ON k.sport = e.discipline AND k.event = e.event
),
grouped AS (
  SELECT code, athlete, country, first_discipline, sort_array(collect_list(event_name)) AS event_list
  FROM known
  GROUP BY code, athlete, country, first_discipline
)
SELECT
  'athlete_events' AS relation,
  code AS fact_key,
  athlete AS subject,
  CASE WHEN size(event_list) = 1 THEN element_at(event_list, 1) ELSE concat(array_join(slice(event_list, 1, size(event_list) - 1), ', '), ' and ', element_at(event_list, -1)) END AS answer_value,
  concat(
    'At Paris 2024, ', athlete, ' competed in ',
    CASE WHEN size(event_list) = 1 THEN 'the event ' ELSE 'these events: ' END,
    CASE WHEN size(event_list) = 1 THEN element_at(event_list, 1) ELSE concat(array_join(slice(event_list, 1, size(event_list) - 1), ', '), ' and ', element_at(event_list, -1)) END, '.'
  ) AS answer,
  athlete,
  CAST(size(event_list) AS STRING) AS event_count,
  country,
  first_discipline AS discipline
FROM grouped
-- A subject that contains its own answer makes no question.
WHERE instr(lower(athlete), lower(CASE WHEN size(event_list) = 1 THEN element_at(event_list, 1) ELSE concat(array_join(slice(event_list, 1, size(event_list) - 1), ', '), ' and ', element_at(event_list, -1)) END)) = 0
ORDER BY code
