-- Where each event's gold medal was decided: the schedule row marked event_medal = 1,
-- its venue named as in venues.csv (venue_names maps the schedule's abbreviations).
WITH medal_sessions AS (
  SELECT
    s.discipline,
    s.event,
    sort_array(collect_set(coalesce(n.venue, s.venue))) AS venue_list
  FROM schedules AS s
  LEFT JOIN venue_names AS n ON n.schedule_venue = s.venue
  WHERE CAST(try_cast(s.event_medal AS DOUBLE) AS INT) = 1
    AND s.discipline IS NOT NULL AND s.event IS NOT NULL AND s.venue IS NOT NULL
  GROUP BY s.discipline, s.event
),
labelled AS (
  SELECT
    *,
    CASE
      WHEN event IN ('Men', 'Women') THEN concat(event, '\'s ', discipline)
      ELSE concat(event, ' (', discipline, ')')
    END AS event_label,
    CASE WHEN size(venue_list) = 1 THEN element_at(venue_list, 1) ELSE concat(array_join(slice(venue_list, 1, size(venue_list) - 1), ', '), ' and ', element_at(venue_list, -1)) END AS venues
  FROM medal_sessions
)
SELECT
  'event_venue' AS relation,
  concat(discipline, '|', event) AS fact_key,
  event_label AS subject,
  venues AS answer_value,
  concat('The gold medal in ', event_label, ' at Paris 2024 was decided at ', venues, '.') AS answer,
  event_label,
  discipline,
  event
FROM labelled
ORDER BY discipline, event
