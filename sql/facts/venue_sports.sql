-- The sports each venue hosted (venues.sports is a Python list literal). A venue whose
-- name gives its sport away ("Golf National") makes no question: left out.
WITH hosted AS (
  SELECT v.venue, s.sport
  FROM venues AS v
  -- Python list literal -> items: the quote differs per item ('A', "B's"); a value
  -- that is not a quoted list (empty, or Kaggle's unquoted [A]) yields no item.
  LATERAL VIEW explode(CASE WHEN substr(v.sports, 1, 2) IN ('[\'', '["') THEN transform(regexp_extract_all(v.sports, '\'[^\']*\'|"[^"]*"', 0), x -> substr(x, 2, length(x) - 2)) ELSE CAST(array() AS ARRAY<STRING>) END) s AS sport
  WHERE v.venue IS NOT NULL
),
grouped AS (
  SELECT venue, sort_array(collect_set(sport)) AS sport_list
  FROM hosted
  WHERE sport IS NOT NULL AND sport <> ''
  GROUP BY venue
),
phrased AS (
  SELECT venue, CASE WHEN size(sport_list) = 1 THEN element_at(sport_list, 1) ELSE concat(array_join(slice(sport_list, 1, size(sport_list) - 1), ', '), ' and ', element_at(sport_list, -1)) END AS sports
  FROM grouped
)
SELECT
  'venue_sports' AS relation,
  venue AS fact_key,
  venue AS subject,
  sports AS answer_value,
  concat('At Paris 2024, ', venue, ' hosted ', sports, '.') AS answer,
  venue
FROM phrased
WHERE instr(lower(venue), lower(sports)) = 0
ORDER BY venue
