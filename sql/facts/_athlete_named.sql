-- A view, not a relation (the leading "_"): the athletes as the athlete_* relations name
-- them. Both engines create it before running the relations that read it.
-- Athletes are named by athletes.name_tv ("Given FAMILY", the Olympic TV style).
-- A name shared by athletes of different countries gets the country added; a name
-- shared within one country would be ambiguous either way, so those athletes are left out.
CREATE OR REPLACE TEMPORARY VIEW athlete_named AS
WITH people AS (
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
)
SELECT
  *,
  CASE WHEN name_count = 1 THEN name ELSE concat(name, ' of ', country) END AS athlete
FROM name_counts
WHERE name_country_count = 1
