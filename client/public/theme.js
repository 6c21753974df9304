// Runs before the first paint (a blocking script in <head>): applies the theme saved by the last
// visit, so a dark-theme user never sees a light flash while the app and its queries load.
// The app rewrites the saved value whenever the signed-in user's preferences load or change.
try {
  const theme = localStorage.getItem("userplane.theme");
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
} catch {
  // Storage blocked: the system theme applies, as it would without this script.
}
