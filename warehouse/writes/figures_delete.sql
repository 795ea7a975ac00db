-- The rows of the countries being refreshed ({where}: their iso3) of a materialised table.
DELETE FROM figures.{name} WHERE {where}
