-- A view, not a relation (the leading "_"): every athlete's name as people write it,
-- "Given Surname" (e.g. "Sydney McLaughlin-Levrone"), built from the name columns.
-- athletes.name is "FAMILY Given"; athletes.name_tv is "Given FAMILY" but sometimes only
-- the jersey word ("FROMM" for "FROMM Christian"): the column with more words is used,
-- so a name is one word only when the tables hold no more of it. A TV form without a
-- lower-case letter writes no given name: it is abbreviated ("ZHU T", "A. SKINNER") or
-- reversed ("LOSER BRUNO" for "LOSER Agustin"), so the name column wins when it holds a
-- written-out given name (tv_name, the alias an evaluation accepts, is then empty).
-- The name column drops a final "p" now and then ("ELHAGE Phili"): a TV form as long
-- and in mixed case ("Philip ELHAGE") is used. The family part of
-- "FAMILY Given" is the words in capitals plus lower-case particles among or before them
-- ("da SILVA Ana Carolina" -> "Ana Carolina da Silva"), ending on a word in capitals. Words written in
-- capitals are re-cased per part ("O'ROURKE" -> "O'Rourke", "McLAUGHLIN" -> "McLaughlin");
-- particles already in lower case ("van der", "da") and given names are kept as written.
CREATE OR REPLACE TEMPORARY VIEW athlete_display AS
WITH source AS (
  SELECT
    *,
    CASE WHEN trim(name_tv) RLIKE '\\p{Ll}' OR NOT coalesce(name, '') RLIKE '\\p{Ll}' THEN trim(name_tv) END AS tv_name,
    CASE
      WHEN name_tv IS NOT NULL AND size(split(trim(name_tv), ' ')) >= size(split(trim(name), ' '))
        AND (trim(name_tv) RLIKE '\\p{Ll}' OR NOT coalesce(name, '') RLIKE '\\p{Ll}') THEN trim(name_tv)
      -- "FAMILY Given": words in capitals (and particles: da, van der, de los …) up to the
      -- first word holding a lower-case letter that is not a particle.
      WHEN trim(name) RLIKE '^(?:(?:da|de|do|dos|das|di|du|del|della|delle|dei|degli|dal|van|von|der|den|des|le|la|les|lo|los|ten|ter|te|bin|binti|bint|al|el|zu|af|av|y|e) |[^\\p{Ll}\\s]+ )*[^\\p{Ll}\\s]+ \\S*\\p{Ll}'
        THEN concat(
          regexp_extract(trim(name), '^((?:(?:da|de|do|dos|das|di|du|del|della|delle|dei|degli|dal|van|von|der|den|des|le|la|les|lo|los|ten|ter|te|bin|binti|bint|al|el|zu|af|av|y|e) |[^\\p{Ll}\\s]+ )*[^\\p{Ll}\\s]+) (\\S*\\p{Ll}.*)$', 2), ' ',
          regexp_extract(trim(name), '^((?:(?:da|de|do|dos|das|di|du|del|della|delle|dei|degli|dal|van|von|der|den|des|le|la|les|lo|los|ten|ter|te|bin|binti|bint|al|el|zu|af|av|y|e) |[^\\p{Ll}\\s]+ )*[^\\p{Ll}\\s]+) (\\S*\\p{Ll}.*)$', 1)
        )
      ELSE trim(coalesce(name, name_tv))
    END AS given_family
  FROM athletes
  WHERE code IS NOT NULL AND coalesce(name, name_tv) IS NOT NULL
)
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
  ) AS display_name
FROM source
