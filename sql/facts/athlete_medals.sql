-- Every medal an athlete won, aggregated into one fact per athlete (medallists.csv has
-- one row per medalled athlete and event; team alternates are marked is_medallist=False).
WITH -- Athletes are named by athletes.name_tv ("Given FAMILY", the Olympic TV style).
-- A name shared by athletes of different countries gets the country added; a name
-- shared within one country would be ambiguous either way, so those athletes are left out.
people AS (
  SELECT
    code,
    name_tv AS name,
    CASE
      WHEN country_code = 'AIN' THEN 'Individual Neutral Athletes'
      WHEN country = country_code THEN country_long
      ELSE country
    END AS country,
    `function` AS role,
    height,
    birth_date,
    disciplines,
    events
  FROM athletes
  WHERE name_tv IS NOT NULL AND code IS NOT NULL AND country IS NOT NULL
),
name_counts AS (
  SELECT
    *,
    count(*) OVER (PARTITION BY name) AS name_count,
    count(*) OVER (PARTITION BY name, country) AS name_country_count
  FROM people
),
athlete AS (
  SELECT
    *,
    CASE WHEN name_count = 1 THEN name ELSE concat(name, ' of ', country) END AS athlete
  FROM name_counts
  WHERE name_country_count = 1
),
medalled AS (
  SELECT
    a.code,
    a.athlete,
    -- Sorted by medal, then date, then event; the prefix is cut off after sorting. The rank
    -- comes from medal_type: medal_code is sometimes empty in the Kaggle data.
    concat(
      CAST(CASE m.medal_type WHEN 'Gold Medal' THEN 1 WHEN 'Silver Medal' THEN 2 WHEN 'Bronze Medal' THEN 3 END AS STRING), '|', m.medal_date, '|',
      lower(replace(m.medal_type, ' Medal', '')), ' in ',
      CASE
        WHEN m.event IN ('Men', 'Women') THEN concat(m.event, '\'s ', m.discipline)
        ELSE concat(m.event, ' (', m.discipline, ')')
      END
    ) AS sortable_medal
  FROM medallists AS m
  JOIN athlete AS a ON a.code = m.code_athlete
  WHERE lower(CAST(m.is_medallist AS STRING)) = 'true'
    AND m.medal_type IN ('Gold Medal', 'Silver Medal', 'Bronze Medal') AND m.medal_date IS NOT NULL
    AND m.event IS NOT NULL AND m.discipline IS NOT NULL
),
grouped AS (
  SELECT
    code,
    athlete,
    transform(sort_array(collect_set(sortable_medal)), x -> substr(x, 14)) AS medal_list
  FROM medalled
  GROUP BY code, athlete
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
  CAST(size(medal_list) AS STRING) AS medal_count
FROM grouped
ORDER BY code
