// Package refdata embeds the reference data that ships with Raadzaam: the
// municipalities of the Netherlands with their CBS codes and provinces.
package refdata

import _ "embed"

// MunicipalitiesFile names the shipped list; a newer year's list in the same
// format is loaded with `raadzaam municipalities import PATH`.
const MunicipalitiesFile = "gemeenten-2026.csv"

// Municipalities is the CSV text of MunicipalitiesFile.
//
//go:embed gemeenten-2026.csv
var Municipalities []byte
