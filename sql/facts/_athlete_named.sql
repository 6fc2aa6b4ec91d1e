-- A view, not a relation (the leading "_"): the athletes as the athlete_* relations name
-- them. Both engines create it before running the relations that read it.
-- Athletes are named "Given Surname" (athlete_display, in _athlete_display.sql). A name
-- shared by several athletes gets what tells them apart: the country, and the sport when
-- namesakes share a country too; a name that stays ambiguous makes no fact at all.
CREATE OR REPLACE TEMPORARY VIEW athlete_named AS
WITH people AS (
  SELECT
    code,
    display_name AS name,
    CASE
      WHEN country_code = 'AIN' THEN 'Individual Neutral Athletes'
      WHEN country = country_code THEN country_long
      ELSE country
    END AS country,
    `function` AS role,
    height,
    birth_date,
    disciplines,
    events,
    -- The first listed discipline: what tells apart namesakes of one country.
    regexp_extract(disciplines, '[\'"]([^\'"]+)[\'"]', 1) AS first_discipline
  FROM athlete_display
  -- Rows without a TV name are the malformed last rows of athletes.csv (unquoted lists).
  WHERE country IS NOT NULL AND name_tv IS NOT NULL
),
name_counts AS (
  SELECT
    *,
    count(*) OVER (PARTITION BY lower(name)) AS name_count,
    count(*) OVER (PARTITION BY lower(name), country) AS name_country_count,
    count(*) OVER (PARTITION BY lower(name), country, first_discipline) AS name_country_sport_count
  FROM people
)
SELECT
  *,
  CASE
    WHEN name_count = 1 THEN name
    WHEN name_country_count = 1 THEN concat(name, ' of ', country)
    ELSE concat(name, ' of ', country, ' (', first_discipline, ')')
  END AS athlete
FROM name_counts
WHERE name_country_sport_count = 1 AND (name_country_count = 1 OR first_discipline <> '')
