-- The country each athlete represents. Athletes whose name alone is ambiguous are
-- left out: naming their country in the question would give the answer away. So are
-- athletes whose name contains their country ("Sushmita NEPAL" of Nepal).
-- athlete_named (athletes with their unambiguous names) is the view in _athlete_named.sql.
SELECT
  'athlete_country' AS relation,
  code AS fact_key,
  athlete AS subject,
  country AS answer_value,
  concat('At Paris 2024, ', athlete, ' represented ', country, '.') AS answer,
  athlete,
  country,
  first_discipline AS discipline
FROM athlete_named
WHERE name_count = 1 AND instr(lower(athlete), lower(country)) = 0
ORDER BY code
