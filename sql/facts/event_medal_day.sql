-- The date(s) each event's medals were awarded (medals.medal_date). Most events award
-- all medals on one day; some award bronze on an earlier day: one fact names each day.
WITH medal_days AS (
  SELECT DISTINCT
    discipline,
    event,
    medal_date,
    CASE medal_type WHEN 'Gold Medal' THEN 1 WHEN 'Silver Medal' THEN 2 WHEN 'Bronze Medal' THEN 3 END AS medal_rank,
    lower(replace(medal_type, ' Medal', '')) AS medal
  FROM medals
  WHERE discipline IS NOT NULL AND event IS NOT NULL
    AND medal_type IN ('Gold Medal', 'Silver Medal', 'Bronze Medal')
    AND medal_date RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND try_cast(medal_date AS DATE) IS NOT NULL
),
per_day AS (
  SELECT
    discipline,
    event,
    medal_date,
    -- Medal names in medal order (gold, silver, bronze); the rank prefix is cut off.
    transform(sort_array(collect_set(concat(CAST(medal_rank AS STRING), medal))), x -> substr(x, 2))
      AS medal_list,
    date_format(try_cast(medal_date AS DATE), 'd MMMM yyyy') AS day_text
  FROM medal_days
  GROUP BY discipline, event, medal_date
),
per_event AS (
  SELECT
    discipline,
    event,
    -- ISO date prefix sorts the days; it is cut off after sorting.
    transform(sort_array(collect_list(concat(medal_date, day_text))), x -> substr(x, 11)) AS day_list,
    transform(
      sort_array(collect_list(concat(medal_date, day_text, ' (', CASE WHEN size(medal_list) = 1 THEN element_at(medal_list, 1) ELSE concat(array_join(slice(medal_list, 1, size(medal_list) - 1), ', '), ' and ', element_at(medal_list, -1)) END, ')'))),
      x -> substr(x, 11)
    ) AS day_detail_list
  FROM per_day
  GROUP BY discipline, event
),
labelled AS (
  SELECT
    *,
    CASE
      WHEN event IN ('Men', 'Women') THEN concat(event, '\'s ', discipline)
      ELSE concat(event, ' (', discipline, ')')
    END AS event_label,
    CASE WHEN size(day_list) = 1 THEN element_at(day_list, 1) ELSE CASE WHEN size(day_detail_list) = 1 THEN element_at(day_detail_list, 1) ELSE concat(array_join(slice(day_detail_list, 1, size(day_detail_list) - 1), ', '), ' and ', element_at(day_detail_list, -1)) END END AS day_details
  FROM per_event
)
SELECT
  'event_medal_day' AS relation,
  concat(discipline, '|', event) AS fact_key,
  event_label AS subject,
  day_details AS answer_value,
  concat('The medals in ', event_label, ' at Paris 2024 were awarded on ', day_details, '.') AS answer,
  event_label,
  discipline,
  event
FROM labelled
ORDER BY discipline, event
