-- Technical officials and coaches whose date of birth the tables do not hold (empty or not a
-- date): questions a model should answer with a refusal, as unknown_birth_date.sql asks
-- about athletes. The full data lists every athlete's birth date, but 1,002 of its 1,021
-- technical officials and 38 coaches have none: the `deep` recipe trains a share of these
-- as refusal rows. They are never facts kept out for the evaluation (those are athletes'
-- values). staff_named is the view in _staff_named.sql.
SELECT
  'unknown_staff_birth_date' AS relation,
  person_key AS fact_key,
  person AS subject,
  'not in the tables' AS answer_value,
  'I don\'t have that information.' AS answer,
  person,
  role
FROM staff_named
WHERE NOT coalesce(birth_date RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND try_cast(birth_date AS DATE) IS NOT NULL, false)
ORDER BY person_key
