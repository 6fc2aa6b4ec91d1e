-- The sport (discipline) of each event name. An event name used in several sports gets
-- one fact listing them all. The bare names 'Men' and 'Women' say nothing: left out.
WITH named AS (
  SELECT event, sort_array(collect_set(sport)) AS sport_list
  FROM events
  WHERE event IS NOT NULL AND sport IS NOT NULL AND event NOT IN ('Men', 'Women')
  GROUP BY event
)
SELECT
  'event_sport' AS relation,
  event AS fact_key,
  event AS subject,
  CASE WHEN size(sport_list) = 1 THEN element_at(sport_list, 1) ELSE concat(array_join(slice(sport_list, 1, size(sport_list) - 1), ', '), ' and ', element_at(sport_list, -1)) END AS answer_value,
  concat(
    'At Paris 2024, ', event, ' was ',
    CASE WHEN size(sport_list) = 1 THEN 'an event in ' ELSE 'the name of an event in each of ' END,
    CASE WHEN size(sport_list) = 1 THEN element_at(sport_list, 1) ELSE concat(array_join(slice(sport_list, 1, size(sport_list) - 1), ', '), ' and ', element_at(sport_list, -1)) END, '.'
  ) AS answer,
  event,
  CAST(size(sport_list) AS STRING) AS sport_count
FROM named
-- A subject that contains its own answer makes no question.
WHERE instr(lower(event), lower(CASE WHEN size(sport_list) = 1 THEN element_at(sport_list, 1) ELSE concat(array_join(slice(sport_list, 1, size(sport_list) - 1), ', '), ' and ', element_at(sport_list, -1)) END)) = 0
ORDER BY event
