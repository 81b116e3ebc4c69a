// The admin web console's files (index.html, app.js, style.css in this folder), built into the
// control-plane binary (cmake/embed_assets.cmake): no Node and no files needed at run time.
#ifndef SWITCHYARD_CONTROL_PLANE_API_CONSOLE_CONSOLE_ASSETS_H_
#define SWITCHYARD_CONTROL_PLANE_API_CONSOLE_CONSOLE_ASSETS_H_

#include <optional>
#include <string_view>

namespace switchyard::cp {

// The bytes of the console file at `path` ("/index.html", "/app.js", ...), or nullopt.
std::optional<std::string_view> ConsoleAsset(std::string_view path);

}  // namespace switchyard::cp

#endif  // SWITCHYARD_CONTROL_PLANE_API_CONSOLE_CONSOLE_ASSETS_H_
