-- Who was on each team (teams.csv, current entries). A country with two teams in one event
-- (beach volleyball pairs, ...) would make the question ambiguous: those are left out, as
-- are teams with a member whose name is unknown (the roster would be incomplete).
WITH squads AS (
  SELECT
    code AS team_code,
    CASE
      WHEN country_code = 'AIN' THEN 'Individual Neutral Athletes'
      WHEN country = country_code THEN country_long
      ELSE country
    END AS country,
    discipline,
    events AS event,
    athletes_codes
  FROM teams
  WHERE lower(CAST(current AS STRING)) = 'true'
    AND code IS NOT NULL AND country IS NOT NULL AND discipline IS NOT NULL AND events IS NOT NULL
),
unique_squads AS (
  SELECT *
  FROM (
    SELECT *, count(*) OVER (PARTITION BY country, discipline, event) AS squads_like_it
    FROM squads
  ) AS counted
  WHERE squads_like_it = 1
),
members AS (
  SELECT s.team_code, s.country, s.discipline, s.event, m.athlete_code
  FROM unique_squads AS s
  -- Python list literal -> items: the quote differs per item ('A', "B's"); a value
  -- that is not a quoted list (empty, or Kaggle's unquoted [A]) yields no item.
  LATERAL VIEW explode(CASE WHEN substr(s.athletes_codes, 1, 2) IN ('[\'', '["') THEN transform(regexp_extract_all(s.athletes_codes, '\'[^\']*\'|"[^"]*"', 0), x -> substr(x, 2, length(x) - 2)) ELSE CAST(array() AS ARRAY<STRING>) END) m AS athlete_code
),
named AS (
  SELECT
    m.team_code,
    m.country,
    m.discipline,
    m.event,
    sort_array(collect_list(a.display_name)) AS member_list,
    count(*) AS listed
  FROM members AS m
  LEFT JOIN athlete_display AS a ON a.code = m.athlete_code
  GROUP BY m.team_code, m.country, m.discipline, m.event
),
labelled AS (
  SELECT
    *,
    concat(
      country, ' team in ',
      CASE
        WHEN event IN ('Men', 'Women') THEN concat(event, '\'s ', discipline)
        ELSE concat(event, ' (', discipline, ')')
      END
    ) AS team_label,
    CASE WHEN size(member_list) = 1 THEN element_at(member_list, 1) ELSE concat(array_join(slice(member_list, 1, size(member_list) - 1), ', '), ' and ', element_at(member_list, -1)) END AS members
  FROM named
  WHERE size(member_list) = listed AND listed >= 2
)
SELECT
  'team_roster' AS relation,
  team_code AS fact_key,
  team_label AS subject,
  members AS answer_value,
  concat('At Paris 2024, the ', team_label, ' was ', members, '.') AS answer,
  team_label,
  country,
  discipline,
  event
FROM labelled
ORDER BY team_code
