// Package record is the one format of what forecastd persists about a job:
// the forecast result and kept models of each series (results and
// staged_results rows), and a job's params, memory summary and phases
// (jobs rows). Every writer encodes with a Codec and every reader decodes
// with the same Codec, so a format change is made, versioned and kept
// readable in one place.
//
// A record is a JSON envelope, {"v":1,"data":<the value's JSON>}. Rows
// written before records had versions hold the bare JSON of the value:
// they read as version 0, whose data has the same shape as version 1's
// (none of the persisted types has a "v" field, so the two cannot be
// confused). A record of a version this build does not know, written by a
// newer forecastd, is an error wrapping ErrUnknownVersion; so is an empty
// record.
//
// To change a format: bump Version, and teach the codec of that kind to
// read the previous version's data into the new type.
//
// The states inside kept models are the models' own format (models
// version them themselves); a record carries them untouched.
package record
