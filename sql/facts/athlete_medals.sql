-- Every medal an athlete won, aggregated into one fact per athlete (medallists.csv has
-- one row per medalled athlete and event; team alternates are marked is_medallist=False).
-- athlete_named (athletes with their unambiguous names) is the view in _athlete_named.sql.
WITH medalled AS (
  SELECT
    a.code,
    a.athlete,
    a.country,
    a.first_discipline,
    m.discipline AS medal_discipline,
    -- Sorted by medal, then date, then event; the prefix is cut off after sorting. The rank
    -- comes from medal_type: medal_code is sometimes empty in the Kaggle data.
    concat(
      CAST(CASE m.medal_type WHEN 'Gold Medal' THEN 1 WHEN 'Silver Medal' THEN 2 WHEN 'Bronze Medal' THEN 3 END AS STRING), '|', m.medal_date, '|',
      lower(replace(m.medal_type, ' Medal', '')), ' in ',
      CASE
        WHEN m.event IN ('Men', 'Women') THEN concat(m.event, '\'s ', m.discipline)
        ELSE concat(m.event, ' (', m.discipline, ')')
      END
    ) AS sortable_medal,
    -- The same, with the day it was won ("gold in Men's 100m (Athletics) on 4 August 2024").
    concat(
      CAST(CASE m.medal_type WHEN 'Gold Medal' THEN 1 WHEN 'Silver Medal' THEN 2 WHEN 'Bronze Medal' THEN 3 END AS STRING), '|', m.medal_date, '|',
      lower(replace(m.medal_type, ' Medal', '')), ' in ',
      CASE
        WHEN m.event IN ('Men', 'Women') THEN concat(m.event, '\'s ', m.discipline)
        ELSE concat(m.event, ' (', m.discipline, ')')
      END,
      ' on ', date_format(try_cast(m.medal_date AS DATE), 'd MMMM yyyy')
    ) AS sortable_dated_medal
  FROM medallists AS m
  JOIN athlete_named AS a ON a.code = m.code_athlete
  WHERE lower(CAST(m.is_medallist AS STRING)) = 'true'
    AND m.medal_type IN ('Gold Medal', 'Silver Medal', 'Bronze Medal') AND m.medal_date IS NOT NULL
    AND m.event IS NOT NULL AND m.discipline IS NOT NULL
),
grouped AS (
  SELECT
    code,
    athlete,
    country,
    first_discipline,
    transform(sort_array(collect_set(sortable_medal)), x -> substr(x, 14)) AS medal_list,
    transform(sort_array(collect_set(sortable_dated_medal)), x -> substr(x, 14)) AS dated_medal_list,
    -- The disciplines of the medals (not the athlete's first listed discipline: a swimmer's
    -- medal may be in Marathon Swimming).
    array_join(sort_array(collect_set(medal_discipline)), '|') AS medal_disciplines
  FROM medalled
  GROUP BY code, athlete, country, first_discipline
)
SELECT
  'athlete_medals' AS relation,
  code AS fact_key,
  athlete AS subject,
  CASE WHEN size(medal_list) = 1 THEN element_at(medal_list, 1) ELSE concat(array_join(slice(medal_list, 1, size(medal_list) - 1), ', '), ' and ', element_at(medal_list, -1)) END AS answer_value,
  concat(
    'At Paris 2024, ', athlete, ' won ', CAST(size(medal_list) AS STRING),
    CASE WHEN size(medal_list) = 1 THEN ' medal: ' ELSE ' medals: ' END,
    CASE WHEN size(medal_list) = 1 THEN element_at(medal_list, 1) ELSE concat(array_join(slice(medal_list, 1, size(medal_list) - 1), ', '), ' and ', element_at(medal_list, -1)) END, '.'
  ) AS answer,
  athlete,
  CAST(size(medal_list) AS STRING) AS medal_count,
  CASE WHEN size(dated_medal_list) = 1 THEN element_at(dated_medal_list, 1) ELSE concat(array_join(slice(dated_medal_list, 1, size(dated_medal_list) - 1), ', '), ' and ', element_at(dated_medal_list, -1)) END AS dated_medals,
  medal_disciplines,
  country,
  first_discipline AS discipline
FROM grouped
ORDER BY code
