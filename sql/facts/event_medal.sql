-- Who won each medal of each event. One fact per (discipline, event, medal):
-- ties and double bronzes are aggregated so that every question has one answer.
-- The discipline is always named, because event names repeat across disciplines
-- ("Men's Individual" is archery, golf, ...).
WITH medal_rows AS (
  SELECT
    m.*,
    -- "AIN" and "EOR" are written as codes in the country column: use readable names.
    CASE
      WHEN m.country_code = 'AIN' THEN 'Individual Neutral Athletes'
      WHEN m.country = m.country_code THEN m.country_long
      ELSE m.country
    END AS team_name
  FROM medals AS m
  WHERE m.discipline IS NOT NULL AND m.event IS NOT NULL AND m.medal_type IN ('Gold Medal', 'Silver Medal', 'Bronze Medal')
),
winners AS (
  SELECT
    m.discipline,
    m.event,
    -- From medal_type: medal_code is sometimes empty in the Kaggle data.
    CASE m.medal_type WHEN 'Gold Medal' THEN 1 WHEN 'Silver Medal' THEN 2 WHEN 'Bronze Medal' THEN 3 END AS medal_rank,
    lower(replace(m.medal_type, ' Medal', '')) AS medal,
    -- Individuals as people write them ("Given Surname", athlete_display; medals.name,
    -- "Given FAMILY", only when the athlete is missing from athletes.csv); teams and pairs by country.
    CASE
      WHEN m.event_type IN ('ATH', 'HATH') THEN concat(coalesce(a.display_name, m.name), ' of ', m.team_name)
      ELSE m.team_name
    END AS winner,
    -- The TV form ("Given FAMILY"), an alias the evaluation accepts; an abbreviated or
    -- reversed one ("ZHU T") is no alias (athlete_display leaves tv_name empty then).
    CASE
      WHEN m.event_type NOT IN ('ATH', 'HATH') THEN m.team_name
      WHEN a.code IS NULL THEN m.name
      ELSE coalesce(a.tv_name, a.display_name)
    END AS tv_winner,
    -- The winner's name alone (no country): the value an evaluation answer must state.
    CASE WHEN m.event_type IN ('ATH', 'HATH') THEN coalesce(a.display_name, m.name) ELSE m.team_name END AS winner_name
  FROM medal_rows AS m
  LEFT JOIN athlete_display AS a ON a.code = m.code
),
grouped AS (
  SELECT
    discipline,
    event,
    medal_rank,
    medal,
    sort_array(collect_list(winner)) AS winner_list,
    array_join(sort_array(collect_list(tv_winner)), '|') AS tv_winners,
    array_join(sort_array(collect_list(winner_name)), '|') AS winner_names
  FROM winners
  GROUP BY discipline, event, medal_rank, medal
),
labelled AS (
  SELECT
    *,
    CASE
      WHEN event IN ('Men', 'Women') THEN concat(event, '\'s ', discipline)
      ELSE concat(event, ' (', discipline, ')')
    END AS event_label,
    CASE WHEN size(winner_list) = 1 THEN concat(medal, ' medal') ELSE concat(medal, ' medals') END
      AS medal_phrase,
    CASE
      WHEN size(winner_list) = 1 THEN element_at(winner_list, 1)
      ELSE concat(
        array_join(slice(winner_list, 1, size(winner_list) - 1), ', '),
        ' and ',
        element_at(winner_list, -1)
      )
    END AS winners
  FROM grouped
)
SELECT
  'event_medal' AS relation,
  concat(discipline, '|', event, '|', medal) AS fact_key,
  concat(medal_phrase, ' in ', event_label) AS subject,
  winners AS answer_value,
  concat(
    'The ', medal_phrase, ' in ', event_label, ' at Paris 2024 ',
    CASE WHEN size(winner_list) = 1 THEN 'was' ELSE 'were' END,
    ' won by ', winners, '.'
  ) AS answer,
  medal_phrase,
  event_label,
  discipline,
  event,
  medal,
  CAST(size(winner_list) AS STRING) AS medal_count,
  tv_winners,
  winner_names
FROM labelled
ORDER BY discipline, event, medal_rank
