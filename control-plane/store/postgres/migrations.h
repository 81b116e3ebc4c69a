// Versioned schema migrations, applied at start-up. Each migration runs in its own
// transaction under an advisory lock, records itself in schema_migrations, and is skipped
// when already recorded, so any number of replicas may start at once against one database.
// Migrations are append-only: never edit one that has shipped; add the next version.
#ifndef SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_MIGRATIONS_H_
#define SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_MIGRATIONS_H_

#include <pqxx/pqxx>

namespace switchyard::cp {

// Throws pqxx exceptions; the caller maps them.
void RunMigrations(pqxx::connection& connection);

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_STORE_POSTGRES_MIGRATIONS_H_
