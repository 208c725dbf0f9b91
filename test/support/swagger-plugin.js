// ts-jest wants {name, version, factory}; this hands it @nestjs/swagger's compiler plugin so the
// app under test documents its DTOs exactly as the `nest build` output does. The plugin reads
// return types through the program it is given: ts-jest's `compiler.program` is the language
// service's first program, which does not hold the file being compiled (every response would be
// documented as a bare object), so it gets the language service's current program instead.
const plugin = require('@nestjs/swagger/plugin');

module.exports = {
  name: 'nestjs-swagger-plugin',
  version: '2',
  factory: (compiler) =>
    plugin.before({ introspectComments: true, classValidatorShim: true }, compiler._languageService?.getProgram() ?? compiler.program),
};
