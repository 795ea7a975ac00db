-- How a total was formed, in words (the report's "basis"): one wording for every view.
CREATE OR REPLACE MACRO total_basis(how, records, admin_units, operations) AS
    CASE how
        WHEN 'reported_total' THEN 'reported total'
        WHEN 'sum_of_breakdown' THEN 'sum of ' || records || ' breakdown rows'
        WHEN 'sum_of_admin1' THEN 'sum of ' || admin_units || ' admin1 totals'
        WHEN 'sum_of_admin2' THEN 'sum of ' || records || ' admin2 figures'
        WHEN 'sum_of_sites' THEN 'sum of ' || records || ' sites'
        ELSE replace(how, '_', ' ')
    END || CASE WHEN operations > 1 THEN ', ' || operations || ' operations added' ELSE '' END;
