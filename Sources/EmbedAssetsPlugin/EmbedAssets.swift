import Foundation
import PackagePlugin

/// Embeds the files of a target's `Assets` folder into the target at build time: `EmbedAssetsTool` writes them
/// into a generated `EmbeddedAssets.swift` as string constants, which the target compiles with its sources.
/// The binary then carries them and reads no files at run time. The target excludes `Assets` from its sources
/// (`exclude: ["Assets"]`); the command runs again when one of the files changes.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let folder = target.directoryURL.appendingPathComponent("Assets")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedAssets.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.map(\.lastPathComponent).joined(separator: ", ")) into \(target.name)",
                executable: try context.tool(named: "EmbedAssetsTool").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output])
        ]
    }
}
