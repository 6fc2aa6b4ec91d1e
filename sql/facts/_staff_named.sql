-- A view, not a relation (the leading "_"): the people at the Games who are not athletes,
-- technical officials (technical_officials.csv) and coaches (coaches.csv), named as people
-- write them, "Given Surname", from their "FAMILY Given" name column, read as
-- _athlete_display.sql reads athletes.name (capitals and lower-case particles are the family
-- part; words in capitals are re-cased). A name without a lower-case letter ("RADHI
-- SHENAISHIL") does not say which word is the given name and is left out, and so is a name
-- two of them share or an athlete's (a question about it would be about two people).
-- role: how a question introduces them, "a Boxing referee", "a Football head coach".
CREATE OR REPLACE TEMPORARY VIEW staff_named AS
WITH staff AS (
  SELECT
    concat('official-', code) AS person_key,
    trim(name) AS name,
    `function` AS role_name,
    regexp_extract(disciplines, '[\'"]([^\'"]+)[\'"]', 1) AS discipline,
    birth_date
  FROM technical_officials
  WHERE code IS NOT NULL AND name IS NOT NULL
  UNION ALL
  SELECT
    concat('coach-', code) AS person_key,
    trim(name) AS name,
    `function` AS role_name,
    trim(disciplines) AS discipline,
    birth_date
  FROM coaches
  WHERE code IS NOT NULL AND name IS NOT NULL
),
split_names AS (
  SELECT
    *,
    CASE
      WHEN name RLIKE '^(?:(?:da|de|do|dos|das|di|du|del|della|delle|dei|degli|dal|van|von|der|den|des|le|la|les|lo|los|ten|ter|te|bin|binti|bint|al|el|zu|af|av|y|e) |[^\\p{Ll}\\s]+ )*[^\\p{Ll}\\s]+ \\S*\\p{Ll}'
        THEN concat(
          regexp_extract(name, '^((?:(?:da|de|do|dos|das|di|du|del|della|delle|dei|degli|dal|van|von|der|den|des|le|la|les|lo|los|ten|ter|te|bin|binti|bint|al|el|zu|af|av|y|e) |[^\\p{Ll}\\s]+ )*[^\\p{Ll}\\s]+) (\\S*\\p{Ll}.*)$', 2), ' ',
          regexp_extract(name, '^((?:(?:da|de|do|dos|das|di|du|del|della|delle|dei|degli|dal|van|von|der|den|des|le|la|les|lo|los|ten|ter|te|bin|binti|bint|al|el|zu|af|av|y|e) |[^\\p{Ll}\\s]+ )*[^\\p{Ll}\\s]+) (\\S*\\p{Ll}.*)$', 1)
        )
    END AS given_family
  FROM staff
  WHERE coalesce(discipline, '') <> '' AND coalesce(role_name, '') <> ''
),
displayed AS (
  SELECT
    *,
    array_join(
      transform(
        split(given_family, ' '),
        w -> CASE
          WHEN NOT w RLIKE '\\p{Lu}\\p{Lu}' THEN w
          ELSE array_join(
            transform(
              split(w, '-'),
              p -> array_join(
                transform(
                  split(p, '\''),
                  q -> CASE
                    WHEN q RLIKE '^Mc\\p{Lu}' THEN concat('Mc', upper(substr(q, 3, 1)), lower(substr(q, 4)))
                    ELSE concat(upper(substr(q, 1, 1)), lower(substr(q, 2)))
                  END
                ),
                '\''
              )
            ),
            '-'
          )
        END
      ),
      ' '
    ) AS person
  FROM split_names
  WHERE given_family IS NOT NULL
),
counted AS (
  SELECT *, count(*) OVER (PARTITION BY lower(person)) AS name_count
  FROM displayed
)
SELECT
  person_key,
  person,
  concat(CASE WHEN discipline RLIKE '^[AEIOU]' THEN 'an ' ELSE 'a ' END, discipline, ' ', lower(role_name)) AS role,
  birth_date
FROM counted
WHERE name_count = 1
  AND lower(person) NOT IN (SELECT lower(display_name) FROM athlete_display WHERE display_name IS NOT NULL)
