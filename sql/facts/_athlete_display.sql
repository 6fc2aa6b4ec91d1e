-- A view, not a relation (the leading "_"): every athlete's name as people write it,
-- "Given Surname" (e.g. "Sydney McLaughlin-Levrone"), built from the name columns.
-- athletes.name is "FAMILY Given"; athletes.name_tv is "Given FAMILY" but sometimes only
-- the jersey word ("FROMM" for "FROMM Christian"): the column with more words is used,
-- so a name is one word only when the tables hold no more of it. Words written in
-- capitals are re-cased per part ("O'ROURKE" -> "O'Rourke", "McLAUGHLIN" -> "McLaughlin");
-- particles already in lower case ("van der", "da") and given names are kept as written.
-- tv_name keeps the TV form as an alias (answers accepted in evaluation).
CREATE OR REPLACE TEMPORARY VIEW athlete_display AS
WITH source AS (
  SELECT
    *,
    CASE
      WHEN name_tv IS NOT NULL AND size(split(trim(name_tv), ' ')) >= size(split(trim(name), ' ')) THEN trim(name_tv)
      -- "FAMILY Given": the capitals before the first word holding a lower-case letter.
      WHEN trim(name) RLIKE '^[^\\p{Ll}]+ \\S*\\p{Ll}'
        THEN concat(
          regexp_extract(trim(name), '^([^\\p{Ll}]+) (\\S*\\p{Ll}.*)$', 2), ' ',
          regexp_extract(trim(name), '^([^\\p{Ll}]+) (\\S*\\p{Ll}.*)$', 1)
        )
      ELSE trim(coalesce(name, name_tv))
    END AS given_family
  FROM athletes
  WHERE code IS NOT NULL AND coalesce(name, name_tv) IS NOT NULL
)
SELECT
  *,
  coalesce(name_tv, given_family) AS tv_name,
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
