-- Each country's gold, silver, bronze and total medal count: one fact per country and
-- count kind, so each question has one answer. Counted from medals.csv (one row per medal
-- awarded), the most detailed table; medals_total.csv is only checked against it
-- (podium.dataset.reconcile lists every disagreement in report.json).
WITH totals AS (
  SELECT
    country_code,
    -- "AIN" and "EOR" are written as codes in the country column: use readable names.
    max(
      CASE
        WHEN country_code = 'AIN' THEN 'Individual Neutral Athletes'
        WHEN country = country_code THEN country_long
        ELSE country
      END
    ) AS country,
    sum(CASE WHEN medal_type = 'Gold Medal' THEN 1 ELSE 0 END) AS gold,
    sum(CASE WHEN medal_type = 'Silver Medal' THEN 1 ELSE 0 END) AS silver,
    sum(CASE WHEN medal_type = 'Bronze Medal' THEN 1 ELSE 0 END) AS bronze,
    count(*) AS total
  FROM medals
  WHERE country_code IS NOT NULL AND country IS NOT NULL
    AND medal_type IN ('Gold Medal', 'Silver Medal', 'Bronze Medal')
  GROUP BY country_code
),
counts AS (
  SELECT country_code, country, 1 AS kind_rank, 'gold' AS kind, gold AS medal_total FROM totals
  UNION ALL
  SELECT country_code, country, 2, 'silver', silver FROM totals
  UNION ALL
  SELECT country_code, country, 3, 'bronze', bronze FROM totals
  UNION ALL
  SELECT country_code, country, 4, 'total', total FROM totals
),
phrased AS (
  SELECT
    *,
    CASE WHEN kind = 'total' THEN 'medals in total' ELSE concat(kind, ' medals') END AS count_noun,
    CASE WHEN kind = 'total' THEN 'total medal count' ELSE concat(kind, ' medal count') END AS tally_noun,
    CASE
      WHEN kind = 'total' THEN concat(CAST(medal_total AS STRING), CASE WHEN medal_total = 1 THEN ' medal' ELSE ' medals' END, ' in total')
      ELSE concat(CAST(medal_total AS STRING), ' ', kind, CASE WHEN medal_total = 1 THEN ' medal' ELSE ' medals' END)
    END AS won
  FROM counts
  WHERE medal_total IS NOT NULL
)
SELECT
  'country_medal_count' AS relation,
  concat(country_code, '|', kind) AS fact_key,
  country AS subject,
  -- With its unit ("2 gold medals"), a count can never be found inside "Paris 2024".
  CASE WHEN kind = 'total' THEN regexp_replace(won, ' in total$', '') ELSE won END AS answer_value,
  concat('At Paris 2024, ', country, ' won ', won, '.') AS answer,
  country,
  country_code,
  kind,
  won,
  count_noun,
  tally_noun
FROM phrased
ORDER BY country_code, kind_rank
